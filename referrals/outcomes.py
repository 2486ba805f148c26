"""Well-being measures: ONS4 personal well-being and the Mental Health Continuum Short Form
(MHC-SF) with Keyes' categorical diagnosis, the framework the service's evaluation uses."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput

TIMEPOINTS = {"baseline": "At the start", "ten_weeks": "At ten weeks", "six_months": "At six months"}

#: ONS4, each answered 0 (not at all) to 10 (completely).
ONS4 = {
    "life_satisfaction": "Overall, how satisfied are you with your life nowadays?",
    "worthwhile": "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
    "happiness": "Overall, how happy did you feel yesterday?",
    "anxiety": "On a scale where 0 is “not at all anxious” and 10 is “completely anxious”, overall, how anxious did you feel yesterday?",
}

#: MHC-SF: "During the past month, how often did you feel…", in the published order.
MHC_ITEMS = (
    "happy",
    "interested in life",
    "satisfied with life",
    "that you had something important to contribute to society",
    "that you belonged to a community (like a social group, or your neighbourhood)",
    "that our society is a good place, or is becoming a better place, for all people",
    "that people are basically good",
    "that the way our society works makes sense to you",
    "that you liked most parts of your personality",
    "good at managing the responsibilities of your daily life",
    "that you had warm and trusting relationships with others",
    "that you had experiences that challenged you to grow and become a better person",
    "confident to think or express your own ideas and opinions",
    "that your life has a sense of direction or meaning to it",
)
MHC_ANSWERS = (
    "Never",
    "Once or twice",
    "About once a week",
    "About 2 or 3 times a week",
    "Almost every day",
    "Every day",
)
EMOTIONAL = range(0, 3)
SOCIAL = range(3, 8)
PSYCHOLOGICAL = range(8, 14)
CATEGORY_LABELS = {
    "flourishing": "Flourishing",
    "moderate": "Moderately mentally healthy",
    "languishing": "Languishing",
}


@dataclass(frozen=True)
class MhcScore:
    emotional: int  # 0-15
    social: int  # 0-25
    psychological: int  # 0-30
    category: str  # flourishing, moderate, languishing

    @property
    def total(self) -> int:
        return self.emotional + self.social + self.psychological


def score_mhc(answers: Sequence[int]) -> MhcScore:
    """Keyes' diagnosis: flourishing needs 'every day' or 'almost every day' on at least one of the
    three emotional items and at least six of the eleven positive-functioning items; languishing
    needs 'never' or 'once or twice' on the same counts; everyone else is moderately healthy."""
    if len(answers) != len(MHC_ITEMS) or any(not 0 <= a <= 5 for a in answers):
        raise ValueError("the MHC-SF has 14 answers from 0 to 5")
    hedonic = [answers[i] for i in EMOTIONAL]
    functioning = [answers[i] for i in (*SOCIAL, *PSYCHOLOGICAL)]
    if any(a >= 4 for a in hedonic) and sum(a >= 4 for a in functioning) >= 6:
        category = "flourishing"
    elif any(a <= 1 for a in hedonic) and sum(a <= 1 for a in functioning) >= 6:
        category = "languishing"
    else:
        category = "moderate"
    return MhcScore(
        emotional=sum(answers[i] for i in EMOTIONAL),
        social=sum(answers[i] for i in SOCIAL),
        psychological=sum(answers[i] for i in PSYCHOLOGICAL),
        category=category,
    )


@dataclass
class OutcomeInput:
    timepoint: str
    ons4: dict[str, int | None]
    mhc_answers: list[int]
    service_outcomes: dict[str, int]


def _whole(text: Any, low: int, high: int) -> int | None:
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    # Not str.isdigit: it passes "³" and, after lstrip, "--5", both of which int() refuses.
    if not re.fullmatch(r"[+-]?\d{1,9}", text) or not low <= int(text) <= high:
        raise ValueError(f"Choose a number from {low} to {high}")
    return int(text)


def read_outcomes(raw: Mapping[str, Any], areas: Sequence[Mapping[str, str]]) -> OutcomeInput:
    """Read the questionnaire. Each scale is all-or-nothing: partly answered is an error naming
    the questions left out; the whole form is shown again with the answers kept."""
    errors: dict[str, str] = {}
    timepoint = str(raw.get("timepoint") or "")
    if timepoint not in TIMEPOINTS:
        errors["timepoint"] = "Choose when this is: at the start, at ten weeks or at six months"
    ons4: dict[str, int | None] = {}
    for key in ONS4:
        try:
            ons4[key] = _whole(_first(raw, key), 0, 10)
        except ValueError as exc:
            errors[key] = str(exc)
            ons4[key] = None
    answered = [k for k, v in ons4.items() if v is not None]
    if answered and len(answered) < len(ONS4):
        for key in ONS4:
            if ons4[key] is None and key not in errors:
                errors[key] = "Answer this too, or leave all four well-being questions empty"
    mhc: list[int | None] = []
    for n in range(len(MHC_ITEMS)):
        try:
            mhc.append(_whole(_first(raw, f"mhc_{n + 1}"), 0, 5))
        except ValueError as exc:
            errors[f"mhc_{n + 1}"] = str(exc)
            mhc.append(None)
    given = [a for a in mhc if a is not None]
    if given and len(given) < len(MHC_ITEMS):
        for n, a in enumerate(mhc):
            if a is None and f"mhc_{n + 1}" not in errors:
                errors[f"mhc_{n + 1}"] = "Answer this too, or leave all fourteen questions empty"
    service: dict[str, int] = {}
    for area in areas:
        try:
            value = _whole(_first(raw, f"area_{area['key']}"), 1, 5)
        except ValueError as exc:
            errors[f"area_{area['key']}"] = str(exc)
            continue
        if value is not None:
            service[area["key"]] = value
    if not errors and not answered and not given and not service:
        errors["timepoint"] = "Nothing has been answered yet"
    if errors:
        raise InvalidInput(errors)
    return OutcomeInput(timepoint, ons4, [a for a in mhc if a is not None], service)


def _first(raw: Mapping[str, Any], key: str) -> Any:
    value = raw.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value
