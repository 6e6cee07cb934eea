"""The cockpit portfolio: cells, roll-ups, hidden small groups, permissions (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions import service as actions
from deliveryops.actions.models import ActionStatus
from deliveryops.cockpit.portfolio.charts import sparkline
from deliveryops.cockpit.portfolio.service import build_portfolio
from deliveryops.errors import PermissionDeniedError
from deliveryops.flow.models import Forecast
from deliveryops.impediments import service as impediments
from deliveryops.teams.models import Group, Team, TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import join, login, make_group, make_team, make_user, token_headers

WORKFLOW = [
    WorkflowStatus("Todo", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
FIRST_MONDAY = date(2026, 8, 31)  # the first of the 12 complete weeks before NOW's week
PER_WEEK = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]


@dataclass
class CockpitWorld:
    """Group Commerce (three teams) and group Tiny (one team), people in every role."""

    commerce: Group
    tiny: Group
    alpha: Team
    beta: Team
    gamma: Team
    delta: Team
    ops: User
    leader: User
    admin: User
    dm: User
    member: User


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def seed_flow(
    session: Session, team: Team, per_week: list[int], *, aging_days: tuple[int, ...] = (), epic: str | None = None
) -> None:
    """Items finished on the Wednesday of each of the 12 weeks (3-day cycle time), plus items in progress.

    With ``epic``, an epic in progress holds the items in progress and the first finished item.
    """
    records = []
    parent = f"{team.slug}-E1" if epic else None
    if epic:
        records.append(
            WorkItemRecord(
                source="t",
                external_key=f"{team.slug}-E1",
                item_type="Epic",
                title=epic,
                created_at=_at(FIRST_MONDAY, 7),
                transitions=(TransitionRecord("Todo", _at(FIRST_MONDAY, 7)), TransitionRecord("Doing", _at(FIRST_MONDAY))),
            )
        )
    for week, count in enumerate(per_week):
        monday = FIRST_MONDAY + timedelta(weeks=week)
        for n in range(count):
            records.append(
                WorkItemRecord(
                    source="t",
                    external_key=f"{team.slug}-{week}-{n}",
                    item_type="Story",
                    title="Done item",
                    created_at=_at(monday, 8),
                    parent_key=parent if (week, n) == (0, 0) else None,
                    transitions=(
                        TransitionRecord("Todo", _at(monday, 8)),
                        TransitionRecord("Doing", _at(monday)),
                        TransitionRecord("Done", _at(monday + timedelta(days=2))),
                    ),
                )
            )
    for n, age in enumerate(aging_days):
        started = NOW.date() - timedelta(days=age - 1)
        records.append(
            WorkItemRecord(
                source="t",
                external_key=f"{team.slug}-wip-{n}",
                item_type="Story",
                title="In progress",
                created_at=_at(started, 8),
                parent_key=parent,
                transitions=(TransitionRecord("Todo", _at(started, 8)), TransitionRecord("Doing", _at(started))),
            )
        )
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)


def _forecast(session: Session, team: Team, *, predicted: date, actual: date) -> None:
    session.add(
        Forecast(
            team_id=team.id,
            kind="when",
            label="5 items",
            start_date=date(2026, 9, 1),
            window_start=date(2026, 6, 1),
            window_end=date(2026, 8, 31),
            window_throughput=[1, 0],
            item_types=["Story"],
            trials=10_000,
            seed=1,
            remaining_items=5,
            item_keys=[],
            predicted={"50": predicted.isoformat(), "85": predicted.isoformat()},
            outcome_date=actual,
            scored_at=NOW,
            commitment="plan",  # only commitments are scored
        )
    )


def build_cockpit_world(session: Session) -> CockpitWorld:
    """The world the cockpit tests share (portfolio, leadership pack, digests)."""
    commerce, tiny = make_group(session, name="Commerce"), make_group(session, name="Tiny")
    alpha = make_team(session, name="Alpha", group=commerce)
    beta = make_team(session, name="Beta", group=commerce)
    gamma = make_team(session, name="Gamma", group=commerce)
    delta = make_team(session, name="Delta", group=tiny)
    seed_flow(session, alpha, PER_WEEK, aging_days=(20, 20, 1), epic="Wallet payments – Zoë’s plan")
    seed_flow(session, beta, [2] * 12, aging_days=(2,))
    seed_flow(session, gamma, [0] * 12)
    seed_flow(session, delta, [1] * 12)
    first = impediments.raise_(
        session=session, actor=None, team_id=alpha.id, title="No staging database", now=NOW - timedelta(days=3)
    )
    impediments.raise_(session=session, actor=None, team_id=alpha.id, title="Flaky CI runners", now=NOW - timedelta(days=10))
    impediments.escalate(
        session=session,
        actor=None,
        impediment_id=first.id,
        tried="Asked the DBA",
        needed="A staging database",
        now=NOW - timedelta(days=2),
    )
    done = actions.create(session=session, actor=None, team_id=alpha.id, title="WIP limit of 3", started_on=date(2026, 10, 1))
    actions.create(session=session, actor=None, team_id=alpha.id, title="Daily aging review", started_on=date(2026, 10, 1))
    done.status, done.done_on = ActionStatus.DONE, date(2026, 11, 20)
    _forecast(session, alpha, predicted=date(2026, 10, 1), actual=date(2026, 9, 25))
    _forecast(session, alpha, predicted=date(2026, 10, 1), actual=date(2026, 10, 9))
    ops, leader = make_user(session, role=Role.PRODUCT_OPS), make_user(session, role=Role.LEADER)
    admin, dm = make_user(session, role=Role.ADMIN), make_user(session, role=Role.DELIVERY_MANAGER)
    member = make_user(session)
    join(session, alpha, dm, TeamRole.DELIVERY_MANAGER)
    join(session, alpha, member)
    session.flush()
    return CockpitWorld(commerce, tiny, alpha, beta, gamma, delta, ops, leader, admin, dm, member)


def test_rows_hold_each_teams_cells(session: Session) -> None:
    world = build_cockpit_world(session)
    portfolio = build_portfolio(session=session, actor=world.ops, min_group_size=3, now=NOW)
    assert [row.name for row in portfolio.rows] == ["Alpha", "Beta", "Delta", "Gamma"]
    assert portfolio.weeks[0] == FIRST_MONDAY
    assert portfolio.weeks[-1] == date(2026, 11, 16)
    alpha = portfolio.rows[0]
    assert alpha.throughput == PER_WEEK
    # Last week (3) against the 11 before: centre 21/11 = 1.91, mean moving range 13/10 = 1.3,
    # upper limit 1.91 + 2.66 x 1.3 = 5.37, lower limit below zero: within normal variation.
    assert alpha.throughput_change.outcome.value == "within_normal_variation"
    assert alpha.throughput_change.detail == "latest 3; natural range 0 to 5.4"
    assert (alpha.cycle_time_p85, alpha.sle_days, alpha.within_sle) == (3, 3, True)
    assert (alpha.aging_past_sle, alpha.wip) == (2, 3)
    assert (alpha.calibration_85, alpha.calibration_scored) == (0.5, 2)
    assert (alpha.impediments_open, alpha.impediments_escalated) == (2, 1)
    assert (alpha.actions, alpha.actions_done) == (2, 1)
    gamma = portfolio.rows[3]
    assert (gamma.throughput, gamma.cycle_time_p85, gamma.sle_days, gamma.aging_past_sle) == ([0] * 12, None, None, 0)
    assert gamma.calibration_85 is None


def test_rows_follow_a_new_import_though_cells_are_kept_between_requests(session: Session) -> None:
    world = build_cockpit_world(session)
    before = build_portfolio(session=session, actor=world.ops, min_group_size=3, now=NOW).rows[3]
    assert (before.name, before.throughput, before.wip) == ("Gamma", [0] * 12, 0)

    seed_flow(session, world.gamma, [1] * 12, aging_days=(5, 5))  # an import bumps the team's data version
    after = build_portfolio(session=session, actor=world.ops, min_group_size=3, now=NOW).rows[3]

    assert (after.throughput, after.wip, after.cycle_time_p85) == ([1] * 12, 2, 3)
    later = build_portfolio(session=session, actor=world.ops, min_group_size=3, now=NOW + timedelta(days=7)).rows[3]
    assert later.weeks[0] == FIRST_MONDAY + timedelta(weeks=1)  # a new day is a new entry: the weeks move on
    assert later.throughput == [1] * 11 + [0]


def test_action_follow_through_follows_an_edited_action(session: Session) -> None:
    world = build_cockpit_world(session)
    before = build_portfolio(session=session, actor=world.ops, min_group_size=3, now=NOW).rows[0]
    assert (before.actions, before.actions_done) == (2, 1)

    open_action = next(a for a in actions.list_team(session=session, actor=None, team_id=world.alpha.id) if a.done_on is None)
    open_action.status, open_action.done_on = ActionStatus.DONE, date(2026, 11, 25)
    session.flush()
    after = build_portfolio(session=session, actor=world.ops, min_group_size=3, now=NOW).rows[0]

    assert (after.actions, after.actions_done) == (2, 2)


def test_small_groups_get_no_rollup(session: Session) -> None:
    world = build_cockpit_world(session)
    portfolio = build_portfolio(session=session, actor=world.leader, min_group_size=3, now=NOW)
    assert [g.name for g in portfolio.rollups] == ["Commerce"]
    assert portfolio.hidden_groups == ["Tiny"]
    commerce = portfolio.rollups[0]
    assert commerce.teams == 3
    assert commerce.throughput == [a + 2 for a in PER_WEEK]
    assert (commerce.aging_past_sle, commerce.wip, commerce.impediments_open) == (2, 4, 2)
    assert commerce.cycle_time_p85 == 3
    bigger = build_portfolio(session=session, actor=world.leader, min_group_size=4, now=NOW)
    assert (bigger.rollups, bigger.hidden_groups) == ([], ["Commerce", "Tiny"])


def test_filter_by_group(session: Session) -> None:
    world = build_cockpit_world(session)
    portfolio = build_portfolio(session=session, actor=world.admin, group_slug="tiny", min_group_size=1, now=NOW)
    assert [row.name for row in portfolio.rows] == ["Delta"]
    assert [g.name for g in portfolio.rollups] == ["Tiny"]


@pytest.mark.parametrize("who", ["dm", "member"])
def test_team_roles_cannot_see_the_portfolio(session: Session, who: str) -> None:
    world = build_cockpit_world(session)
    with pytest.raises(PermissionDeniedError, match=r"^The portfolio is for Product Ops, leaders and admins\.$"):
        build_portfolio(session=session, actor=getattr(world, who), now=NOW)


def test_sparkline_is_labelled_svg() -> None:
    svg = str(sparkline([1, 3, None, 2], title='Throughput of "A" & B', width=40, height=10))
    assert svg.startswith('<svg class="sparkline" role="img" aria-label="Throughput of &quot;A&quot; &amp; B"')
    assert '<polyline points="2.0,8.0 14.0,2.0"' in svg
    assert '<polyline points="38.0,5.0"' in svg
    assert str(sparkline([None], title="x")) == ""


def test_portfolio_page_links_every_cell_to_its_source(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    login(client, world.ops.email)
    html = client.get("/cockpit").text
    for suffix in ("flow", "forecasts", "impediments", "actions"):
        assert f'href="/teams/alpha/{suffix}"' in html
    assert 'aria-label="Throughput of Alpha, items per week, last 12 weeks: ' in html
    assert "No roll-up for Tiny: a group needs at least 3 teams" in html
    assert 'href="/cockpit/leadership"' in html
    assert 'href="/cockpit/adoption"' in html
    filtered = client.get("/cockpit", params={"group": "tiny"}).text
    assert 'data-team="delta"' in filtered
    assert 'data-team="alpha"' not in filtered


def test_portfolio_page_and_api_refuse_team_roles(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    login(client, world.dm.email)
    assert client.get("/cockpit").status_code == 403
    response = client.get("/api/v1/cockpit/portfolio", headers=token_headers(session, world.member))
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "The portfolio is for Product Ops, leaders and admins."


def test_portfolio_api(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    body = client.get("/api/v1/cockpit/portfolio", headers=token_headers(session, world.leader)).json()
    assert [t["name"] for t in body["teams"]] == ["Alpha", "Beta", "Delta", "Gamma"]
    assert body["teams"][0]["impediments_escalated"] == 1
    assert body["hidden_groups"] == ["Tiny"]
    assert body["groups"][0]["name"] == "Commerce"


def test_empty_portfolio_has_an_empty_state(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    login(client, ops.email)
    html = client.get("/cockpit").text
    assert "No teams to show" in html
