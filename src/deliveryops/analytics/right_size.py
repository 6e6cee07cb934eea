"""Right-size check for refinement: is an item not started yet likely to take longer than the team's SLE?

The judgement reads the team's own history. Among the items of the same type (and, when the item has an
estimate, the same estimate) that finished in the history window, it takes the share whose cycle time
exceeded the SLE. The SLE is the 85th percentile cycle time, so about 15% of all items exceed it; an item
whose peers exceeded it at least twice as often (``SPLIT_SHARE`` = 30%) is "likely to exceed: split it",
one whose peers did less often "fits", and with fewer than ``MIN_PEERS`` peers there is "not enough
history". Its error rates on seeded simulations (held-out seeds) are in benchmarks/README.md
(``benchmarks/right_size_bench.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["MIN_PEERS", "SPLIT_SHARE", "FinishedItem", "Judgement", "RightSize", "Verdict", "right_size"]

SPLIT_SHARE = 0.30
"""Peers exceeding the SLE at least this often make an item "likely to exceed" (twice the 15% the SLE allows)."""
MIN_PEERS = 5
"""Fewer finished peers than this: not enough history to judge."""

Verdict = Literal["split", "fits", "unknown"]


@dataclass(frozen=True, slots=True)
class FinishedItem:
    """One item of the history: its type, its estimate (None when not estimated) and its cycle time in days."""

    item_type: str
    estimate: float | None
    cycle_time_days: int


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one item, with the evidence: how many peers, how many of them exceeded the SLE."""

    verdict: Verdict
    peers: int
    exceeded: int
    basis: str  # "type and estimate" or "type"

    @property
    def share(self) -> float | None:
        """The share of peers that exceeded the SLE."""
        return self.exceeded / self.peers if self.peers else None


class RightSize:
    """The team's history, indexed for judging items against its SLE."""

    def __init__(self, history: Iterable[FinishedItem], sle_days: int | None) -> None:
        self.sle_days = sle_days
        self._by_type: dict[str, list[int]] = defaultdict(list)
        self._by_estimate: dict[tuple[str, float], list[int]] = defaultdict(list)
        for item in history:
            over = int(sle_days is not None and item.cycle_time_days > sle_days)
            self._by_type[item.item_type].append(over)
            if item.estimate is not None:
                self._by_estimate[(item.item_type, float(item.estimate))].append(over)

    def judge(self, item_type: str, estimate: float | None) -> Judgement:
        """The verdict for an item of this type and estimate (see the module's docstring)."""
        if self.sle_days is None:
            return Judgement("unknown", 0, 0, "type")
        if estimate is not None:
            peers, basis = self._by_estimate.get((item_type, float(estimate)), []), "type and estimate"
        else:
            peers, basis = self._by_type.get(item_type, []), "type"
        if len(peers) < MIN_PEERS:
            return Judgement("unknown", len(peers), sum(peers), basis)
        exceeded = sum(peers)
        verdict: Verdict = "split" if exceeded / len(peers) >= SPLIT_SHARE else "fits"
        return Judgement(verdict, len(peers), exceeded, basis)


def right_size(history: Iterable[FinishedItem], sle_days: int | None) -> RightSize:
    """Index the team's finished items against its SLE."""
    return RightSize(history, sle_days)
