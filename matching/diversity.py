"""Keeping the first few suggestions varied.

A link worker and patient read the top five together; five branches of one charity, or five
walking groups, waste that moment. Within the top five, an activity whose organisation already
has two places there, or whose main category already has three, is scored down by a fixed
penalty (twice if both), so it gives way only to an alternative that is nearly as good. The
penalty is part of the score, so the final list is still in score order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def diversify(
    scores: Sequence[float],
    organisations: Sequence[int],
    categories: Sequence[int],
    *,
    top: int = 5,
    organisation_cap: int = 2,
    category_cap: int = 3,
    penalty: float = 0.15,
) -> list[tuple[int, float]]:
    """Positions of the candidates in their new order, each with the penalty it took (<= 0)."""
    remaining = sorted(range(len(scores)), key=lambda i: -scores[i])
    per_org: Counter[int] = Counter()
    per_category: Counter[int] = Counter()

    def cut(i: int) -> float:
        cat = categories[i]
        crowded = (per_org[organisations[i]] >= organisation_cap) + (
            cat >= 0 and per_category[cat] >= category_cap
        )
        return -penalty * crowded

    chosen: list[tuple[int, float]] = []
    for _ in range(min(top, len(remaining))):
        best_at, best_score, best_penalty = 0, float("-inf"), 0.0
        for at, i in enumerate(remaining):
            if scores[i] <= best_score:
                break  # sorted, so nothing further can beat the best effective score
            c = cut(i)
            if scores[i] + c > best_score:
                best_at, best_score, best_penalty = at, scores[i] + c, c
        i = remaining.pop(best_at)
        chosen.append((i, best_penalty))
        per_org[organisations[i]] += 1
        if categories[i] >= 0:
            per_category[categories[i]] += 1
    rest = [(i, cut(i)) for i in remaining]
    rest.sort(key=lambda pair: -(scores[pair[0]] + pair[1]))
    return chosen + rest
