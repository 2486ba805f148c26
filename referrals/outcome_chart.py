"""A person's own well-being over time, drawn as simple lines (server-rendered SVG)."""

from __future__ import annotations

import itertools
from typing import Any

from referrals.outcomes import TIMEPOINTS

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 260, 40, 150, 16, 36
SERIES = (
    ("life_satisfaction", "Life satisfaction", "line-1", 10),
    ("worthwhile", "Things feel worthwhile", "line-2", 10),
    ("happiness", "Happiness", "line-3", 10),
    ("anxiety", "Anxiety (lower is better)", "line-4", 10),
)


def outcome_chart(records: list[Any]) -> dict[str, Any] | None:
    """Coordinates for the ONS4 answers at each timepoint recorded, or None if there is nothing."""
    answered = [r for r in records if r.life_satisfaction is not None]
    if not answered:
        return None
    slots = list(TIMEPOINTS)
    span_x = (WIDTH - LEFT - RIGHT) / max(len(slots) - 1, 1)

    def x(timepoint: str) -> float:
        return LEFT + slots.index(timepoint) * span_x

    def y(value: float, top: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)

    series = []
    for field, label, css, top in SERIES:
        points = [
            (round(x(r.timepoint), 1), round(y(getattr(r, field), top), 1), getattr(r, field))
            for r in answered
        ]
        series.append(
            {
                "label": label,
                "class": css,
                "points": points,
                "path": " ".join(f"{px},{py}" for px, py, _ in points),
                "label_y": points[-1][1],
            }
        )
    _spread_labels(series)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "x_labels": [(round(x(t), 1), TIMEPOINTS[t]) for t in slots],
        "y_ticks": [(round(y(v, 10), 1), v) for v in (0, 5, 10)],
        "series": series,
    }


#: The least distance between two end labels, in the chart's units: text 12 high takes about 16
#: from the top of a capital to the bottom of a "y" or "(", so 17 leaves a little air between.
LABEL_GAP = 17


def _spread_labels(series: list[dict[str, Any]]) -> None:
    """Move the labels at the lines' ends apart where answers are close, so none overlap, and
    keep them inside the chart."""
    ordered = sorted(series, key=lambda s: s["label_y"])
    for above, below in itertools.pairwise(ordered):
        below["label_y"] = max(below["label_y"], above["label_y"] + LABEL_GAP)
    overflow = ordered[-1]["label_y"] - (HEIGHT - BOTTOM) if ordered else 0
    if overflow > 0:
        for item in ordered:
            item["label_y"] -= overflow
        for below, above in zip(reversed(ordered), list(reversed(ordered))[1:], strict=False):
            above["label_y"] = min(above["label_y"], below["label_y"] - LABEL_GAP)
