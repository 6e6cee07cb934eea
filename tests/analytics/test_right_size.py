"""The right-size check: peers of the same type (and estimate) that exceeded the SLE decide the verdict."""

from __future__ import annotations

from deliveryops.analytics.right_size import MIN_PEERS, FinishedItem, right_size


def test_verdicts_follow_the_share_of_peers_over_the_sle() -> None:
    history = [FinishedItem("Story", 8.0, days) for days in (12, 15, 4, 5, 6)]  # 2 of 5 over 10 days: 40%
    history += [FinishedItem("Story", 2.0, days) for days in (2, 3, 4, 11, 5, 3)]  # 1 of 6: 17%
    history += [FinishedItem("Bug", None, 3)] * MIN_PEERS
    check = right_size(history, sle_days=10)
    big = check.judge("Story", 8.0)
    assert (big.verdict, big.peers, big.exceeded, big.basis) == ("split", 5, 2, "type and estimate")
    assert check.judge("Story", 2.0).verdict == "fits"
    assert check.judge("Story", 5.0).verdict == "unknown"  # no peers of that estimate
    assert check.judge("Bug", None).verdict == "fits"  # by type: enough bugs, none over
    assert check.judge("Story", None).verdict == "fits"  # by type only: 3 of 11 (27%)
    assert right_size(history, sle_days=None).judge("Story", 8.0).verdict == "unknown"
