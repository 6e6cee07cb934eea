"""The portfolio's stored team rows: computed by a job, read by every page, shown as stale while being computed
again (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import astuple

import polars as pl
from fastapi.testclient import TestClient
from polars.testing import assert_frame_equal
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.cockpit.portfolio.jobs import request_refresh
from deliveryops.cockpit.portfolio.service import PAGE_INLINE_TEAMS, Portfolio, TeamRow, build_portfolio
from deliveryops.cockpit.portfolio.stored import KIND, _default_types, compute, compute_many
from deliveryops.flow.data import load_team_data, read_teams_data
from deliveryops.flow.service import default_types
from deliveryops.jobs import JobRuntime
from deliveryops.jobs.models import DerivedResult, Job
from deliveryops.settings import Settings
from deliveryops.teams.models import Team
from tests.cockpit.test_portfolio import build_cockpit_world, seed_flow
from tests.conftest import DEMO_NOW
from tests.factories import login, make_team, make_user, token_headers


def _run_refresh(session: Session, session_factory: sessionmaker[Session]) -> str | None:
    session.commit()
    with session_factory() as writer:
        job_id = request_refresh(writer).id
        writer.commit()
    done = JobRuntime(Settings(database_url="sqlite://", secret_key="d" * 48), session_factory).run(job_id)
    assert done is not None
    assert done.state == "succeeded"
    session.expire_all()
    return done.result


def _cells(row: TeamRow) -> tuple[object, ...]:
    return astuple(row)[:-2]  # everything but the state and when it was computed


def _queued(session: Session) -> list[str]:
    return list(session.scalars(select(Job.name).where(Job.state == "queued", Job.name.like("cockpit.%"))))


def test_rows_computed_by_the_job_are_read_by_the_page_unchanged(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    world = build_cockpit_world(session)
    session.commit()
    nothing_stored = build_portfolio(session=session, actor=world.ops, min_group_size=3, inline_limit=0)
    assert [(row.name, row.state) for row in nothing_stored.rows] == [
        ("Alpha", "pending"),
        ("Beta", "pending"),
        ("Delta", "pending"),
        ("Gamma", "pending"),
    ]
    assert nothing_stored.pending == ["Alpha", "Beta", "Delta", "Gamma"]
    assert [(g.teams, g.throughput) for g in nothing_stored.rollups] == [(0, [])]  # pending rows are left out
    assert _queued(session) == ["cockpit.refresh_portfolio"]
    session.rollback()
    computed_here = build_portfolio(session=session, actor=world.ops, min_group_size=3)
    session.rollback()  # nothing stored

    assert _run_refresh(session, session_factory) == "4 of 4 team rows computed again."
    read: Portfolio = build_portfolio(session=session, actor=world.ops, min_group_size=3, inline_limit=0)
    assert {row.state for row in read.rows} == {"current"}
    assert all(row.computed_at is not None for row in read.rows)
    assert [_cells(row) for row in read.rows] == [_cells(row) for row in computed_here.rows]
    assert read.rollups == computed_here.rollups
    assert _queued(session) == []
    assert _run_refresh(session, session_factory) == "0 of 4 team rows computed again."


def test_a_changed_team_shows_its_stored_row_as_stale_until_the_job_computed_it(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    world = build_cockpit_world(session)
    before = build_portfolio(session=session, actor=world.ops, min_group_size=3)  # computes and stores every row
    session.commit()
    seed_flow(session, world.gamma, [1] * 12, aging_days=(5, 5))  # an import bumps Gamma's data version

    stale = build_portfolio(session=session, actor=world.ops, min_group_size=3, inline_limit=0)
    gamma = stale.rows[3]
    assert (gamma.name, gamma.state, gamma.throughput, gamma.wip) == ("Gamma", "stale", [0] * 12, 0)
    assert gamma.computed_at is not None
    assert (stale.stale, stale.oldest_computed_at) == (1, gamma.computed_at)
    assert [_cells(row) for row in stale.rows[:3]] == [_cells(row) for row in before.rows[:3]]
    assert _queued(session) == ["cockpit.refresh_portfolio"]

    assert _run_refresh(session, session_factory) == "1 of 4 team rows computed again."
    after = build_portfolio(session=session, actor=world.ops, min_group_size=3, inline_limit=0).rows[3]
    assert (after.state, after.wip, after.throughput != [0] * 12) == ("current", 2, True)


def test_the_page_computes_a_few_teams_and_says_which_are_being_computed(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    teams = [make_team(session, name=f"Team {index:02d}") for index in range(PAGE_INLINE_TEAMS + 1)]
    headers = token_headers(session, ops)
    session.commit()
    login(client, ops.email)

    html = client.get("/cockpit").text
    assert html.count('data-state="pending"') == 1
    assert f'<tr data-team="{teams[-1].slug}" data-state="pending">' in html
    assert "1 team has no stored row yet and is being computed" in html

    body = client.get("/api/v1/cockpit/portfolio", headers=headers).json()
    assert body["pending_teams"] == []  # the page stored eight rows; its job (or the API) the ninth
    assert [team["stale"] for team in body["teams"]] == [False] * len(teams)
    assert "being computed" not in client.get("/cockpit").text

    for team in teams:
        team.data_version += 1  # what an import does
    session.commit()
    html = client.get("/cockpit").text
    assert html.count('data-state="stale"') == 1  # eight computed again by the page, the last one left to the job
    assert "UTC, recomputing</span>" in html
    assert "1 team row was computed before its data changed" in html


def test_the_demo_stores_every_team_row_so_its_first_portfolio_computes_none(demo_session: Session) -> None:
    leader = make_user(demo_session, role=Role.LEADER)
    before = _cells_computed(demo_session)
    portfolio = build_portfolio(session=demo_session, actor=leader, now=DEMO_NOW, inline_limit=0)
    assert portfolio.rows
    assert {row.state for row in portfolio.rows} == {"current"}
    assert all(row.computed_at is not None for row in portfolio.rows)
    assert _cells_computed(demo_session) == before  # nothing computed, nothing queued
    assert not _queued(demo_session)


def _cells_computed(session: Session) -> list[tuple[str, object]]:
    return [(row.scope, row.computed_at) for row in session.scalars(select(DerivedResult).where(DerivedResult.kind == KIND))]


def test_cells_computed_together_equal_each_teams_own(demo_session: Session) -> None:
    teams = list(demo_session.scalars(select(Team).order_by(Team.id)))
    together = compute_many(demo_session, teams, now=DEMO_NOW)
    assert list(together) == [team.id for team in teams]
    assert any(cells.calibration_scored for cells in together.values())  # calibrations read for all teams at once
    assert any(cells.aging_past_sle for cells in together.values())  # flow cells read from the one pass's tables
    for team in teams:
        assert together[team.id] == compute(demo_session, team, now=DEMO_NOW), team.name


def test_default_types_of_every_team_at_once_equal_each_teams_own(demo_session: Session) -> None:
    teams = list(demo_session.scalars(select(Team).order_by(Team.id)))
    whole = read_teams_data(demo_session, teams)
    kept = _default_types(whole)
    assert kept.items.height < whole.items.height  # the demo has containers (epics) to leave out
    passes = {(tuple(sorted(whole.workflows[team.id].items())), whole.zones[team.id].key) for team in teams}
    assert len(passes) > 1  # the job makes one pass per workflow and zone
    for team in teams:
        data = load_team_data(demo_session, team)
        own = data.only_types(default_types(data))
        for name in ("items", "transitions", "blocked"):
            mine = getattr(kept, name).filter(pl.col("team_id") == team.id).drop("team_id")
            assert_frame_equal(mine, getattr(own, name))
