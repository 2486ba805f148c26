"""What a page's forms send, and reading back what they show a person."""

from __future__ import annotations

import re


def date_boxes(html: str, name: str) -> tuple[str, str, str]:
    """The day, month and year boxes of a GOV.UK date input, as shown."""

    def box(part: str) -> str:
        match = re.search(rf'name="{name}-{part}"[^>]*\bvalue="([^"]*)"', html)
        assert match, f"no {part} box for {name}"
        return match.group(1)

    return box("day"), box("month"), box("year")


def new_person_booking(activity_id: str, session_id: int, first_name: str, **extra: str) -> dict[str, str]:
    """Choosing an activity together and booking a place for a new person, as the matching page
    sends it."""
    return {
        "interests": "gardening",
        "choose_activity": activity_id,
        "session_id": str(session_id),
        "patient_id": "new",
        "first_name": first_name,
        "consent_to_share": "on",
        "hopes": "get out of the house",
        **extra,
    }
