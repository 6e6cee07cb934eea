"""The retro of retros: recurring themes across teams, and its anonymity rules (no card text, no group of
fewer teams than the privacy minimum, no retro outside the period)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.retros import themes
from deliveryops.retros.models import Card, Phase, Retro, Theme
from deliveryops.teams.models import Team
from tests.factories import join, make_team, make_user, token_headers

DAY = date(2026, 11, 10)


def held(session: Session, team: Team, titles: list[str], *, cards: tuple[str, ...] = (), day: date = DAY) -> Retro:
    """A voted anonymous retro of ``team`` with themes ``titles`` and loose ``cards`` (each a theme of its own)."""
    retro = Retro(
        team_id=team.id,
        title="Sprint retro",
        format="start-stop-continue",
        columns=["Start", "Stop", "Continue"],
        phase=Phase.FINISHED,
        anonymous=True,
        scheduled_for=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
    )
    session.add(retro)
    session.flush()
    for title in [*titles, *cards]:
        theme = Theme(retro_id=retro.id, title=title)
        session.add(theme)
        session.flush()
        if title in cards:  # what voting does to a loose card: a theme with the card's text
            session.add(Card(retro_id=retro.id, column="Stop", text=title, theme_id=theme.id))
    session.flush()
    return retro


def teams(session: Session) -> list[Team]:
    return [make_team(session, name=name) for name in ("Alpha", "Beta", "Gamma", "Delta")]


def test_only_groups_of_enough_teams_and_never_a_card(session: Session) -> None:
    alpha, beta, gamma, delta = teams(session)
    held(session, alpha, ["Slow code reviews", "Flaky tests"])
    held(session, beta, ["Code reviews wait too long", "Flaky tests again"])
    held(session, gamma, ["Code reviews pile up"])
    # Delta's loose card became a theme of its own: it is a card, and names a person, so it never shows.
    held(session, delta, [], cards=("Code reviews ignored by Dave",))
    held(session, delta, ["Code reviews are slow"], day=DAY - timedelta(days=200))  # outside the period
    found = themes.recurring_themes(session=session, actor=None, start=DAY - timedelta(days=30), end=DAY, min_group_size=3)
    assert [(t.retros, t.teams) for t in found] == [(3, ["Alpha", "Beta", "Gamma"])]
    assert "Dave" not in found[0].title
    assert "Code reviews" in found[0].title
    # "Flaky tests" recurs in two teams only: under the privacy minimum of 3, it is not shown at all.
    assert all("Flaky" not in t.title for t in found)
    # With a minimum of 2 it would be.
    relaxed = themes.recurring_themes(session=session, actor=None, start=DAY - timedelta(days=30), end=DAY, min_group_size=2)
    assert any(t.teams == ["Alpha", "Beta"] for t in relaxed)
    assert all("Delta" not in t.teams for t in relaxed)


def test_who_sees_them_and_the_period(client: TestClient, session: Session) -> None:
    alpha, beta, gamma, _delta = teams(session)
    for team, title in ((alpha, "Slow code reviews"), (beta, "Code reviews wait too long"), (gamma, "Code reviews pile up")):
        held(session, team, [title])
    member = make_user(session)
    join(session, alpha, member)
    with pytest.raises(PermissionDeniedError):
        themes.recurring_themes(session=session, actor=member, start=DAY, end=DAY, min_group_size=3)
    with pytest.raises(ValidationFailedError):
        themes.recurring_themes(session=session, actor=None, start=DAY, end=DAY - timedelta(days=1), min_group_size=3)
    ops = make_user(session, role=Role.PRODUCT_OPS)
    query = f"start={(DAY - timedelta(days=7)).isoformat()}&end={DAY.isoformat()}"
    page = client.get(f"/api/v1/retro-themes?{query}", headers=token_headers(session, ops))
    assert page.status_code == 200, page.text
    assert page.json()["total"] == 1
    assert page.json()["items"][0]["teams"] == ["Alpha", "Beta", "Gamma"]
    assert client.get(f"/api/v1/retro-themes?{query}", headers=token_headers(session, member)).status_code == 403


def test_a_period_at_the_ends_of_the_calendar_answers_an_empty_page(client: TestClient, session: Session) -> None:
    assert themes.period(None, date(1, 1, 1)) == (date(1, 1, 1), date(1, 1, 1))
    ops = make_user(session, role=Role.PRODUCT_OPS)
    for query in ("end=0001-01-01", "start=9999-12-01&end=9999-12-31"):
        page = client.get(f"/api/v1/retro-themes?{query}", headers=token_headers(session, ops))
        assert page.status_code == 200, (query, page.text)
        assert page.json()["total"] == 0
