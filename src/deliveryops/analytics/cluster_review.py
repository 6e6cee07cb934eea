"""A simulated reviewer: the decisions a person takes on cluster proposals, for measuring what they are worth.

Used by the benchmark and the test suite to replay decisions on a labelled set. The reviewer reads
the ``reviewed`` largest proposals (largest first, as the clusters page lists them) and, for each:

* if two or more of its texts share a known group (the largest such group wins; ties: the group
  named first alphabetically), **confirms** those texts as one problem and **moves out** every other
  text of the proposal (each moved-out text is decided "different" from each confirmed one);
* otherwise **dismisses** the proposal (every pair of its texts is decided "different").

Nothing else is used: the reviewer never sees texts outside the proposals it reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations

from deliveryops.analytics.blended_similarity import Decisions

__all__ = ["Review", "review_proposals"]


@dataclass(frozen=True, slots=True)
class Review:
    """The decisions a simulated reviewer took, and how many of each kind."""

    decisions: Decisions
    confirmed: int
    moved_out: int
    dismissed: int
    touched: frozenset[int]


def review_proposals(proposals: Sequence[Sequence[int]], truth: Sequence[Hashable | None], *, reviewed: int) -> Review:
    """Decide on the ``reviewed`` largest proposals as a person who knows the true groups would.

    Args:
        proposals: proposed clusters (positions), largest first.
        truth: the known group of each text (``None``: it belongs to no group).
        reviewed: how many proposals the person reads.

    Returns:
        The decisions, with counts of confirmations, moved-out texts and dismissals.
    """
    same: list[tuple[int, int]] = []
    different: list[tuple[int, int]] = []
    confirmed = moved_out = dismissed = 0
    touched: set[int] = set()
    for proposal in list(proposals)[:reviewed]:
        touched.update(proposal)
        counts = Counter(truth[position] for position in proposal if truth[position] is not None)
        shared = sorted((group for group, size in counts.items() if size >= 2), key=lambda group: (-counts[group], str(group)))
        if not shared:
            different.extend(combinations(sorted(proposal), 2))
            dismissed += 1
            continue
        keep = sorted(position for position in proposal if truth[position] == shared[0])
        same.extend(zip(keep, keep[1:], strict=False))
        confirmed += 1
        for position in proposal:
            if position not in keep:
                different.extend((position, other) for other in keep)
                moved_out += 1
    return Review(Decisions(tuple(same), tuple(different)), confirmed, moved_out, dismissed, frozenset(touched))
