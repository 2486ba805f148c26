"""Reading back what a page's form shows a person."""

from __future__ import annotations

import re


def date_boxes(html: str, name: str) -> tuple[str, str, str]:
    """The day, month and year boxes of a GOV.UK date input, as shown."""

    def box(part: str) -> str:
        match = re.search(rf'name="{name}-{part}"[^>]*\bvalue="([^"]*)"', html)
        assert match, f"no {part} box for {name}"
        return match.group(1)

    return box("day"), box("month"), box("year")
