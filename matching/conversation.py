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


@dataclass
class Conversation:
    form: ProfileForm
    shortlist: list[str] = field(default_factory=list)
    #: "activity-id|reason" strings, as the form carries them.
    rejected: list[str] = field(default_factory=list)
    action: str = ""
    target: str = ""

    @property
    def profile(self) -> Profile:
        return self.form.profile

    def record(self, titles: Mapping[str, str]) -> dict[str, Any]:
        """What to keep with the referral: options discussed and those turned down."""
        declined = []
        for item in self.rejected:
            activity_id, _, reason = item.partition("|")
            declined.append(
                {"activity_id": activity_id, "title": titles.get(activity_id, ""), "reason": reason}
            )
        discussed_ids = list(dict.fromkeys([*self.shortlist, *(d["activity_id"] for d in declined)]))
        return {
            "discussed": [{"activity_id": i, "title": titles.get(i, "")} for i in discussed_ids],
            "declined": declined,
            "profile": profile_summary(self.profile),
        }


def read_conversation(raw: Mapping[str, Any], db: Any = None) -> Conversation:
    action, _, target = first(raw, "action").partition(":")
    shortlist = list(dict.fromkeys(many(raw, "shortlist")))[:20]
    rejected = list(dict.fromkeys(many(raw, "rejected")))[:50]
    target = target[:36]
    if action == "shortlist" and target and target not in shortlist:
        shortlist.append(target)
    elif action == "unshortlist":
        shortlist = [s for s in shortlist if s != target]
    elif action == "reject" and target:
        reason = first(raw, f"reason-{target}").strip()[:200]
        shortlist = [s for s in shortlist if s != target]
        if not any(r.partition("|")[0] == target for r in rejected):
            rejected.append(f"{target}|{reason}")
    elif action == "unreject":
        rejected = [r for r in rejected if r.partition("|")[0] != target]
    form = read_profile({**raw, "rejected": rejected}, db)
    return Conversation(form=form, shortlist=shortlist, rejected=rejected, action=action, target=target)
