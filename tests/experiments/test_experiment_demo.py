"""The demo experiments: every status, the warning cases, and the same result for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.demo.experiments import SPECS, build_experiments
from deliveryops.experiments.models import Experiment, MetricSnapshot
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _organisation(session: Session) -> None:
    make_user(session, role=Role.PRODUCT_OPS)
    for name in sorted({spec.team for spec in SPECS}):
        team = make_team(session, name=name)
        join(session, team, make_user(session))
        join(session, team, make_user(session, role=Role.DELIVERY_MANAGER), TeamRole.DELIVERY_MANAGER)


def _summary(session: Session) -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    return [
        (e.title, e.status.value, e.decision.value if e.decision else None, tuple(e.last_warnings))
        for e in session.scalars(select(Experiment).order_by(Experiment.title))
    ]


def test_demo_covers_every_status_and_each_warning(session: Session) -> None:
    _organisation(session)
    made = build_experiments(session, now=NOW, seed=7)
    experiments = session.scalars(select(Experiment)).all()
    snapshots = session.scalars(select(MetricSnapshot)).all()
    assert made == len(experiments)
    assert len(snapshots) == 919
    assert len(experiments) == 19
    assert Counter(e.status.value for e in experiments) == {
        "draft": 2,
        "in_review": 2,
        "running": 2,
        "analysing": 2,
        "decided": 10,
        "archived": 1,
    }
    assert Counter(e.decision.value for e in experiments if e.decision) == {"ship": 6, "iterate": 2, "stop": 3}
    warnings = {title: codes for title, _status, _decision, codes in _summary(session) if codes}
    # Running ones have not reached their planned sample yet; the rest are the deliberate cases.
    assert warnings == {
        "Filters as chips": ("underpowered",),
        "Personalised ranking": ("guardrail",),
        "Referral reward doubled": ("guardrail",),
        "Saved baskets for returning visitors": ("underpowered", "peeking"),
        "Welcome email with a personal video": ("srm",),
    }
    started = [e for e in experiments if e.started_at is not None]
    late = [e for e in started if e.sample_size_set_at and e.sample_size_set_at > e.started_at]  # type: ignore[operator]
    assert sorted(e.title for e in late) == ["Biometric login", "Dark mode default"]


def test_demo_is_the_same_for_the_same_seed(session: Session) -> None:
    _organisation(session)
    build_experiments(session, now=NOW, seed=7)
    first = _summary(session)
    sums = sorted(s.sum for s in session.scalars(select(MetricSnapshot)))
    for experiment in session.scalars(select(Experiment)):
        session.delete(experiment)
    session.flush()
    build_experiments(session, now=NOW, seed=7)
    assert _summary(session) == first
    assert sorted(s.sum for s in session.scalars(select(MetricSnapshot))) == sums
