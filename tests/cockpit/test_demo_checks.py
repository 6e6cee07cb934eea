"""The demo organisation's catalogue: every entry mapped to a check, and the checks give verdicts on its data."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.models import DataCheck

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


def test_every_demo_entry_has_a_check_and_the_data_answers(demo_session: Session) -> None:
    session = demo_session  # the demo organisation, built once per run (seed 3, today NOW)
    matrix = adoption.matrix(session, now=NOW)
    assert len(matrix.entries) == 16
    assert all(entry.data_check is not None for entry in matrix.entries)
    verdicts: Counter[tuple[DataCheck, bool | None]] = Counter(
        (result.check, result.confirmed) for result in matrix.checks.values()
    )
    observable = {c for c, _ in verdicts if c.observable}
    assert observable == {
        DataCheck.TRACKER_SYNC,
        DataCheck.CODE_REVIEW,
        DataCheck.GITHUB_ACTIONS,
        DataCheck.WIP_LIMITS,
        DataCheck.REGULAR_RETROSPECTIVES,
        DataCheck.EXPERIMENT_PREREGISTRATION,
        DataCheck.FORECASTING,
        DataCheck.TRUNK_BASED,
    }
    checkout = next(t for t in matrix.teams if t.name == "Checkout")
    retros = next(e for e in matrix.entries if e.name == "Regular retrospectives")
    result = matrix.check(checkout.id, retros.id)
    assert result is not None
    assert (result.confirmed, "1 recorded as held outside" in result.evidence) == (True, True)
    # The demo tells both sides of the observable practices: some teams confirmed, some not.
    for check in (DataCheck.WIP_LIMITS, DataCheck.REGULAR_RETROSPECTIVES, DataCheck.TRUNK_BASED):
        assert verdicts[(check, True)] > 0, check
        assert verdicts[(check, False)] > 0, check
    assert verdicts[(DataCheck.NOT_OBSERVABLE, None)] == 8 * len(matrix.teams)


def test_the_homes_mismatches_are_the_matrixs_own(demo_session: Session) -> None:
    # The Product Ops home runs only the adopted practices' checks; it must list what the matrix marks.
    matrix = adoption.matrix(demo_session, now=NOW)
    expected = [
        (team.name, entry.name, result.evidence)
        for team in matrix.teams
        for entry in matrix.entries
        if matrix.mismatch(team.id, entry.id) and (result := matrix.check(team.id, entry.id)) is not None
    ]
    found = [(m.team.name, m.entry.name, m.result.evidence) for m in adoption.mismatches(demo_session, now=NOW)]
    assert found == expected
    assert expected  # the demo has declared-adopted practices its data contradicts
