"""The retro board's health-check panel and the export's "Health check at the time" (SQLite and PostgreSQL).

Only a closed round with at least the minimum respondents (3 in tests) is shown, never its comments,
and nothing at all from a round below the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.health import catalog
from deliveryops.health import service as health
from deliveryops.health.catalog import CardIn
from deliveryops.health.models import Colour, Trend
from deliveryops.health.service import AnswerIn
from deliveryops.retros import service
from deliveryops.retros.models import Phase, Retro
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, login, make_team, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
G, A, R = Colour.GREEN, Colour.AMBER, Colour.RED
SECRET = "Nobody outside the round should read this"


@dataclass
class Setup:
    team: Team
    dm: User
    members: list[User]
    template_id: int
    retro: Retro


def setup(session: Session, size: int = 3) -> Setup:
    team = make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    members = [make_user(session) for _ in range(size)]
    for member in members:
        join(session, team, member)
    template_id = catalog.create_template(
        session=session,
        actor=dm,
        name=f"Short {team.id}",
        cards=[CardIn("speed", "Speed", "Fast", "Slow"), CardIn("fun", "Fun", "Joy", "Dull")],
    ).id
    retro = service.schedule(session=session, actor=dm, team_id=team.id, title="Sprint 21")
    return Setup(team, dm, members, template_id, retro)


def run_round(
    session: Session, s: Setup, title: str, speed: Colour, fun: Colour, *, at: datetime, respondents: int, comment: str = SECRET
) -> None:
    health_round = health.open_round(
        session=session, actor=s.dm, team_id=s.team.id, template_id=s.template_id, title=title, now=at
    )
    for member in s.members[:respondents]:
        health.submit_answers(
            session=session,
            actor=member,
            round_id=health_round.id,
            now=at,
            answers={"speed": AnswerIn(speed, Trend.SAME, comment), "fun": AnswerIn(fun, Trend.WORSE, comment)},
        )
    health.close_round(session=session, actor=s.dm, round_id=health_round.id, now=at + timedelta(days=3))


def two_shown_rounds_and_a_hidden_one(session: Session, s: Setup) -> None:
    run_round(session, s, "Health check March", R, G, at=T0, respondents=3)
    run_round(session, s, "Health check April", R, A, at=T0 + timedelta(days=30), respondents=3)
    # Closed later, but with fewer than 3 respondents: nothing of it may show, not even its title.
    run_round(
        session, s, "Health check May", G, G, at=T0 + timedelta(days=60), respondents=2, comment="From a round below the minimum"
    )


def panel_of(html: str) -> str:
    start = html.index('<details class="panel health-panel" id="health-panel"')
    return html[start : html.index("</details>", start)]


def test_the_board_shows_the_latest_round_with_enough_respondents(client: TestClient, session: Session) -> None:
    s = setup(session)
    two_shown_rounds_and_a_hidden_one(session, s)
    login(client, s.members[0].email)
    html = client.get(f"/retros/{s.retro.id}").text
    panel = panel_of(html)
    assert "Health check April · closed 2026-04-04 · 3 respondents" in panel
    # Each card's result colour with its text label, its score and the change since the previous round.
    assert (
        '<span class="health-card">Speed</span> <span class="band band-red">red</span> '
        '<span class="health-score"><span class="sr-only">score </span>0.00</span>'
    ) in panel
    assert (
        '<span class="health-card">Fun</span> <span class="band band-amber">amber</span> '
        '<span class="health-score"><span class="sr-only">score </span>0.50</span>'
    ) in panel
    assert '<span aria-hidden="true">=</span> no change</span>' in panel
    assert '<span aria-hidden="true">▼</span> down 0.50' in panel
    assert "Changes since Health check March." in panel
    assert "<strong>0.25</strong>" in panel  # overall: the mean of 0.00 and 0.50
    assert "Red several rounds running:</strong> Speed (2 rounds)" in panel
    assert 'href="/teams/' + s.team.slug + '/health"' in panel
    # No comments, and nothing from the round below the minimum.
    assert SECRET not in html
    assert "From a round below the minimum" not in html
    assert "Health check May" not in html


def test_the_board_shows_an_empty_state_below_the_minimum(client: TestClient, session: Session) -> None:
    s = setup(session)
    run_round(session, s, "Health check March", R, G, at=T0, respondents=2)
    login(client, s.dm.email)
    html = client.get(f"/retros/{s.retro.id}").text
    panel = panel_of(html)
    assert (
        "No health check with at least 3 respondents yet — open one from the team's "
        f'<a href="/teams/{s.team.slug}/health">Health checks page</a>.'
    ) in panel
    assert "health-results" not in panel
    assert "band-" not in panel
    assert SECRET not in html
    assert "Health check March" not in html


def test_the_panel_belongs_to_reviewing_and_reflecting(client: TestClient, session: Session) -> None:
    s = setup(session)
    run_round(session, s, "Health check March", R, G, at=T0, respondents=3)
    login(client, s.members[0].email)
    service.advance(session=session, actor=s.dm, retro_id=s.retro.id)  # reflect
    html = client.get(f"/retros/{s.retro.id}").text
    # Outside the region retro.js redraws, so live updates leave it alone.
    assert html.index('id="health-panel"') > html.index('<section id="board"')
    assert "Health check March" in panel_of(html)
    service.advance(session=session, actor=s.dm, retro_id=s.retro.id)  # group
    assert 'id="health-panel"' not in client.get(f"/retros/{s.retro.id}").text


def test_the_snapshot_follows_the_health_definitions(session: Session) -> None:
    s = setup(session)
    assert service.health_snapshot(session, team_id=s.team.id, min_group_size=3).latest is None
    two_shown_rounds_and_a_hidden_one(session, s)
    run_round(session, s, "Health check June", R, R, at=T0 + timedelta(days=90), respondents=3)
    snapshot = service.health_snapshot(session, team_id=s.team.id, min_group_size=3)
    assert snapshot.latest is not None
    assert snapshot.previous is not None
    assert (snapshot.latest.title, snapshot.previous.title) == ("Health check June", "Health check April")
    # The same streaks as the health pages, those of two rounds or more.
    expected = [
        (c.card_title, c.red_rounds)
        for c in health.card_streaks(session, team_id=s.team.id, min_group_size=3)
        if c.red_rounds >= 2
    ]
    assert [(r.title, r.rounds) for r in snapshot.red_streaks] == expected == [("Speed", 3)]
    # Looking from an earlier moment shows the round that was latest then.
    earlier = service.health_snapshot(session, team_id=s.team.id, min_group_size=3, at=T0 + timedelta(days=40))
    assert earlier.latest is not None
    assert earlier.latest.title == "Health check April"


def test_change_labels_match_the_shown_precision() -> None:
    assert [service.change_label(v) for v in (None, 0.0, 0.004, -0.004, 0.17, -0.5)] == [
        "first result",
        "no change",
        "no change",
        "no change",
        "up 0.17",
        "down 0.50",
    ]
    assert [service.change_arrow(v) for v in (None, 0.0, 0.004, 0.17, -0.5)] == ["", "=", "=", "▲", "▼"]


def finish(session: Session, s: Setup) -> None:
    while s.retro.phase is not Phase.FINISHED:
        service.advance(session=session, actor=s.dm, retro_id=s.retro.id)


def test_the_export_has_the_health_check_at_the_time(client: TestClient, session: Session) -> None:
    s = setup(session)
    two_shown_rounds_and_a_hidden_one(session, s)
    finish(session, s)
    # A round closed after the retro finished is not "at the time".
    run_round(session, s, "Health check later", G, G, at=utcnow() + timedelta(days=1), respondents=3)
    login(client, s.members[1].email)
    response = client.get(f"/retros/{s.retro.id}/export.md")
    assert response.status_code == 200
    markdown = response.text
    section = markdown[markdown.index("## Health check at the time") :]
    assert section == (
        "## Health check at the time\n\n"
        "Health check April, closed 2026-04-04: 3 respondents, overall score 0.25 (0 all red, 1 all green) "
        "(changes since Health check March).\n\n"
        "- Speed: red, score 0.00, no change\n"
        "- Fun: amber, score 0.50, down 0.50\n\n"
        "Red several rounds running: Speed (2 rounds).\n\n"
        f"Health checks: http://127.0.0.1:8000/teams/{s.team.slug}/health\n"
    )
    assert SECRET not in markdown
    assert "Health check May" not in markdown
    assert "Health check later" not in markdown


def test_the_export_says_when_no_round_qualifies(client: TestClient, session: Session) -> None:
    s = setup(session)
    run_round(session, s, "Health check March", R, G, at=T0, respondents=2)
    login(client, s.members[0].email)
    markdown = client.get(f"/retros/{s.retro.id}/export.md").text
    assert "## Health check at the time\n\nNo health check with at least 3 respondents at the time.\n" in markdown
    assert "Health check March" not in markdown
    assert SECRET not in markdown
