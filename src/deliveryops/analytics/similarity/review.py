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
from itertools import combinations, pairwise

import numpy as np
import numpy.typing as npt

from deliveryops.analytics.similarity.blended import Decisions

__all__ = ["LinkRuleScores", "Review", "link_rule_scores", "review_proposals"]


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
        same.extend(pairwise(keep))
        confirmed += 1
        for position in proposal:
            if position not in keep:
                different.extend((position, other) for other in keep)
                moved_out += 1
    return Review(Decisions(tuple(same), tuple(different)), confirmed, moved_out, dismissed, frozenset(touched))


@dataclass(frozen=True, slots=True)
class LinkRuleScores:
    """How the blocker-link rule does when each text of a labelled set plays a blocked item's reason."""

    automatic: int
    automatic_right: int
    proposed: int
    proposed_right: int


def link_rule_scores(
    similarities: npt.NDArray[np.float64], truth: Sequence[Hashable | None], *, auto: float, margin: float, propose: float
) -> LinkRuleScores:
    """Score the rule of ``impediments.blockers`` on a labelled set (every other text is a candidate).

    A text's best match is linked automatically when its similarity is at least ``auto`` and at least
    ``margin`` above the second best, proposed when at least ``propose``; it is right when both texts
    are in the same known group.

    Args:
        similarities: n × n similarities of the set.
        truth: the known group of each text (``None``: no group).
        auto: the automatic-link similarity.
        margin: the lead the best match needs over the second.
        propose: the proposal similarity.

    Returns:
        Counts of automatic links and proposals, and how many of each were right.
    """
    matrix = np.array(similarities, dtype=np.float64)
    np.fill_diagonal(matrix, -np.inf)
    automatic = automatic_right = proposed = proposed_right = 0
    for row in range(len(matrix)):
        order = np.argsort(-matrix[row], kind="stable")
        best = int(order[0])
        lead = matrix[row, best] - (matrix[row, order[1]] if len(order) > 1 else 0.0)
        right = truth[row] is not None and truth[row] == truth[best]
        if matrix[row, best] >= auto and lead >= margin:
            automatic += 1
            automatic_right += right
        elif matrix[row, best] >= propose:
            proposed += 1
            proposed_right += right
    return LinkRuleScores(automatic, automatic_right, proposed, proposed_right)
