"""Features a listing states only in words: "women only", "no need to book, just turn up",
"pay as you feel", "groups of six", "a quiet room", "a volunteer will meet you in the foyer".

Each finding keeps the listing's own words, so an explanation can say "the listing says ...".
Patterns are deliberately narrow: a missed feature costs a little ranking; a wrong one could
send a man to a women's group, so "men and women" and "mixed" veto the single-sex readings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
}  # fmt: skip
_COUNT = r"(\d{1,3}|" + "|".join(_NUMBERS) + r")"

_PATTERNS: dict[str, tuple[str, ...]] = {
    "women_only": (
        r"\b(?:women|ladies|females?)[- ]only\b",
        r"\bfor (?:young |older |local |all )?(?:women|ladies)\b(?! and)",
        r"\b(?:women|ladies)'?s? (?:only )?(?:group|session|club|circle)\b",
        r"\bopen to women\b(?! and)",
    ),
    "men_only": (
        r"\b(?:men|males?|gents)[- ]only\b",
        r"\bfor (?:young |older |local |all )?men\b(?! and)",
        r"\bmen'?s (?:only )?(?:group|session|club|shed|circle)\b",
        r"\bopen to men\b(?! and)",
    ),
    "drop_in": (
        r"\bno need to book\b",
        r"\bjust (?:turn|come|pop|drop) (?:up|along|in)\b",
        r"\bjust come and\b",
        r"\bdrop[- ]in\b",
        r"\bno booking\b",
        r"\bwithout booking\b",
        r"\bno appointment (?:is )?needed\b",
    ),
    "no_cost": (
        r"(?<!feel )(?<!gluten )(?<!sugar )\bfree\b(?! parking)(?! wi-?fi)(?! to leave)(?!-flowing)",
        r"\bpay as you (?:feel|can)\b",
        r"\bno charge\b",
        r"\bno cost\b",
        r"\bcosts? nothing\b",
    ),
    "quiet_space": (
        r"\bquiet (?:room|space|area|corner|spot)\b",
        r"\bcalm (?:room|space|area)\b",
        r"\b(?:room|space) to (?:step away|take a break|have a breather)\b",
        r"\bchill[- ]out (?:room|space)\b",
    ),
    "met_at_door": (
        r"\b(?:will|can|to) (?:meet|greet) you\b[^.]{0,40}",
        r"\bmet (?:at|on) (?:the )?(?:door|arrival|entrance|gate|reception)\b",
        r"\bmeet and greet\b",
        r"\bmeets? (?:newcomers|new people|new members|new starters)\b",
        r"\bsomeone (?:will be )?(?:at|on) the door\b",
    ),
    "buddy_welcome": (
        r"\bbring (?:a|your) (?:friend|carer|partner|relative|family member|support worker|buddy)\b",
        r"\b(?:friends|carers|supporters) (?:are )?welcome (?:too|to come)\b",
        r"\bcome (?:along |first )?with (?:a|your) (?:friend|carer|support worker|supporter)\b",
        r"\bbring (?:a|your) supporter\b",
        r"\bbring the person you care for\b",
        r"\bbuddy\b",
    ),
    "one_to_one_start": (
        r"\bstart (?:with|by having) a one[- ]to[- ]one\b",
        r"\bone[- ]to[- ]one (?:chat|meeting|session|introduction) (?:first|before)\b",
        r"\bmeet (?:one[- ]to[- ]one|1[:-]1) first\b",
    ),
    "step_free": (
        r"\bstep[- ]free\b",
        r"\bwheelchair[- ](?:accessible|access|friendly)\b",
        r"\blevel access\b",
    ),
}
_SMALL_GROUP = (
    rf"\bgroups? of (?:up to |no more than |about |around )?{_COUNT}\b",
    rf"\b(?:up to|no more than|maximum of|max\.?|a maximum of|just|only) {_COUNT} (?:people|participants|places|members|at a time)\b",
    rf"\b{_COUNT} (?:people|participants|places) (?:at most|maximum)\b",
    rf"\b{_COUNT} (?:places|spaces)\b",
    rf"\b(?:around|about) {_COUNT} (?:people|members|participants)\b",
    r"\bsmall (?:and friendly )?groups?\b",
)
#: Words in the same sentence that mean a single-sex reading is wrong.
_MIXED = re.compile(r"\b(?:men and women|women and men|mixed|everyone|all genders|any gender)\b", re.I)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True)
class Stated:
    feature: str
    #: The listing's words, as written.
    words: str


#: In a title, "Women's ..." or "Men's ..." names who the group is for.
_TITLE_SEX = {
    "women_only": re.compile(r"\b(?:women|ladies)['\u2019]?s?\b(?!.*\b(?:and|&) (?:men|gents)\b)", re.I),
    "men_only": re.compile(r"(?<!wo)\b(?:men|gents)['\u2019]s\b(?!.*\b(?:and|&) (?:women|ladies)\b)", re.I),
}


def read_title(title: str) -> list[Stated]:
    """A single-sex group named as one in its title ("Young Men's Football Night")."""
    found = [Stated(f, title) for f, pattern in _TITLE_SEX.items() if pattern.search(title or "")]
    both = re.search(r"\b(?:women|ladies)", title or "", re.I) and re.search(
        r"(?<![a-z])(?:men|gents)\b", title or "", re.I
    )
    return found if len(found) == 1 and not both and not _MIXED.search(title or "") else []


def read_features(*texts: str) -> tuple[list[Stated], int | None]:
    """(features stated in the texts, the group size stated if any)."""
    found: dict[str, Stated] = {}
    size: int | None = None
    for text in texts:
        for sentence in _SENTENCE.findall(text or ""):
            mixed = bool(_MIXED.search(sentence))
            for feature, patterns in _PATTERNS.items():
                if feature in found or (mixed and feature in ("women_only", "men_only")):
                    continue
                for pattern in patterns:
                    match = re.search(pattern, sentence, re.I)
                    if match:
                        found[feature] = Stated(feature, _quote(sentence, match))
                        break
            for pattern in _SMALL_GROUP:
                match = re.search(pattern, sentence, re.I)
                if not match:
                    continue
                count = match.group(1) if match.groups() else None
                number = _number(count) if count else 8
                if number is not None and 2 <= number <= 60:
                    size = number if size is None else min(size, number)
                    if number <= 8 and "small_group" not in found:
                        found["small_group"] = Stated("small_group", _quote(sentence, match))
                break
    if "women_only" in found and "men_only" in found:
        del found["women_only"], found["men_only"]
    return list(found.values()), size


def _number(text: str) -> int | None:
    text = text.lower()
    return int(text) if text.isdigit() else _NUMBERS.get(text)


def _quote(sentence: str, match: re.Match[str]) -> str:
    """The matched words with a little of the sentence around them, trimmed to whole words."""
    start, end = max(match.start() - 30, 0), min(match.end() + 30, len(sentence))
    words = sentence[start:end].strip()
    if start > 0:
        words = words.split(" ", 1)[-1]
    if end < len(sentence):
        words = words.rsplit(" ", 1)[0]
    return words.strip(" ,;:").rstrip(".")
