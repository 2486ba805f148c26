"""The matching conversation: the profile plus what has been shortlisted or turned down.

All of it travels in the page's form, so the conversation survives without JavaScript, across
workers, and without storing anything about the person until they choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.forms import first, many
from matching.profile import Profile
from matching.schemas import ProfileForm, profile_summary, read_profile

#: The buttons of the matching page, each named for what it does and carrying the activity's id
#: as its value, with the step each takes in the conversation.
ACTIONS = {
    "add_to_shortlist": "shortlist",
    "remove_from_shortlist": "unshortlist",
    "choose": "choose",
    "not_for_them": "reject",
    "undo_not_for_them": "unreject",
    "back_to_suggestions": "back",
}


@dataclass(frozen=True)
class Declined:
    """An activity the person said was not for them, and why, in their words (may be empty)."""

    activity_id: str
    reason: str = ""


@dataclass
class Conversation:
    form: ProfileForm
    shortlist: list[str] = field(default_factory=list)
    rejected: list[Declined] = field(default_factory=list)
    #: The step the button pressed takes ("shortlist", "reject", ...), and the activity it names.
    action: str = ""
    target: str = ""

    @property
    def profile(self) -> Profile:
        return self.form.profile

    def record(self, titles: Mapping[str, str]) -> dict[str, Any]:
        """What to keep with the referral: options discussed and those turned down."""
        declined = [
            {"activity_id": d.activity_id, "title": titles.get(d.activity_id, ""), "reason": d.reason}
            for d in self.rejected
        ]
        discussed_ids = list(dict.fromkeys([*self.shortlist, *(d["activity_id"] for d in declined)]))
        return {
            "discussed": [{"activity_id": i, "title": titles.get(i, "")} for i in discussed_ids],
            "declined": declined,
            "profile": profile_summary(self.profile),
        }


def pressed(raw: Mapping[str, Any]) -> tuple[str, str]:
    """The step the pressed button takes and the activity it names, or ("", "")."""
    for name, action in ACTIONS.items():
        if name in raw:
            return action, first(raw, name).strip()[:36]
    return "", ""


def _declined(raw: Mapping[str, Any]) -> list[Declined]:
    ids = list(dict.fromkeys(many(raw, "rejected")))[:50]
    return [Declined(i[:36], first(raw, f"rejected-reason-{i}").strip()[:200]) for i in ids]


def read_conversation(raw: Mapping[str, Any], db: Any = None) -> Conversation:
    action, target = pressed(raw)
    shortlist = list(dict.fromkeys(many(raw, "shortlist")))[:20]
    rejected = _declined(raw)
    if action == "shortlist" and target and target not in shortlist:
        shortlist.append(target)
    elif action == "unshortlist":
        shortlist = [s for s in shortlist if s != target]
    elif action == "reject" and target:
        shortlist = [s for s in shortlist if s != target]
        if not any(d.activity_id == target for d in rejected):
            rejected.append(Declined(target, first(raw, f"reason-{target}").strip()[:200]))
    elif action == "unreject":
        rejected = [d for d in rejected if d.activity_id != target]
    ruled_out = [{"activity_id": d.activity_id, "reason": d.reason} for d in rejected]
    form = read_profile({**raw, "rejected": ruled_out}, db)
    return Conversation(form=form, shortlist=shortlist, rejected=rejected, action=action, target=target)
