"""Health-check pages, API and export: the minimum group size, comments' scope, answering (both DBs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.health import catalog, service
from deliveryops.health.catalog import CardIn
from deliveryops.health.models import Colour, HealthRound, Trend
from deliveryops.health.service import AnswerIn
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers
from tests.health.test_health_service import Squad, squad

T0 = datetime.now(UTC) - timedelta(days=60)


def two_cards(session: Session, s: Squad) -> int:
    return catalog.create_template(
        session=session,
        actor=s.dm,
        name=f"Two cards {s.team.id}",
        cards=[CardIn("speed", "Speed", "Fast", "Slow"), CardIn("fun", "Fun", "Joy", "Dull")],
    ).id


def closed_round(session: Session, s: Squad, respondents: int, *, at: datetime, comment: str = "") -> HealthRound:
    health_round = service.open_round(
        session=session, actor=s.dm, team_id=s.team.id, template_id=two_cards(session, s) if at == T0 else None, now=at
    )
    for member in s.members[:respondents]:
        answers = {c.key: AnswerIn(Colour.RED, Trend.WORSE, comment if c.key == "speed" else "") for c in health_round.cards}
        service.submit_answers(session=session, actor=member, round_id=health_round.id, answers=answers, now=at)
    service.close_round(session=session, actor=s.dm, round_id=health_round.id, now=at + timedelta(days=2))
    return health_round


def test_below_the_minimum_nothing_is_shown_in_pages_api_or_export(client: TestClient, session: Session) -> None:
    s = squad(session, size=4)
    small = closed_round(session, s, 2, at=T0, comment="Releases scare me")
    leader = make_user(session, role=Role.LEADER)
    for person in (s.members[0], s.dm, leader):
        headers = token_headers(session, person)
        data = client.get(f"/api/v1/health/rounds/{small.id}", headers=headers).json()
        assert data["respondents"] is None
        assert data["results"] == {
            "shown": False,
            "minimum": 3,
            "hidden_reason": "too_few",
            "overall": None,
            "previous_round_id": None,
            "cards": [],
        }
        history = client.get(f"/api/v1/teams/{s.team.id}/health/history", headers=headers).json()
        assert history["rounds"][0]["respondents"] is None
        assert history["rounds"][0]["hidden_reason"] == "hidden: fewer than 3 respondents"
    login(client, s.members[0].email)
    page = client.get(f"/health/rounds/{small.id}").text
    assert "Hidden: fewer than 3 respondents answered, so no results are shown" in page
    assert "Releases scare me" not in page
    assert 'id="results"' not in page
    export = client.get(f"/teams/{s.team.slug}/health/export.csv")
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.text.splitlines()[1].endswith(",hidden: fewer than 3 respondents,")
    assert "Releases scare me" not in export.text
    team_page = client.get(f"/teams/{s.team.slug}/health").text
    assert "Closed · hidden: fewer than 3 respondents" in team_page


def test_comments_only_for_the_team_and_never_cross_team(client: TestClient, session: Session) -> None:
    s = squad(session, size=3, name="Otters")
    shown = closed_round(session, s, 3, at=T0, comment="Releases scare me")
    member_view = client.get(f"/api/v1/health/rounds/{shown.id}", headers=token_headers(session, s.members[1])).json()
    assert member_view["results"]["cards"][0]["comments"] == ["Releases scare me"] * 3
    assert member_view["results"]["cards"][0]["colours"] == {"green": 0, "amber": 0, "red": 3}
    assert member_view["respondents"] == 3
    ops = make_user(session, role=Role.PRODUCT_OPS)
    ops_view = client.get(f"/api/v1/health/rounds/{shown.id}", headers=token_headers(session, ops)).json()
    assert "comments" not in ops_view["results"]["cards"][0]
    assert ops_view["comments_visible"] is False
    heat = client.get("/api/v1/health/heatmap", headers=token_headers(session, ops)).json()
    assert "Releases scare me" not in str(heat)
    otters = next(t for t in heat["teams"] if t["name"] == "Otters")
    period = heat["period"]
    assert otters["periods"][period]["cards"]["speed"] == {"score": 0.0, "result": "red"}
    login(client, ops.email)
    heat_page = client.get("/health").text
    assert "Releases scare me" not in heat_page
    assert "Otters" in heat_page
    assert "Releases scare me" not in client.get(f"/health/rounds/{shown.id}").text


def test_heatmap_hides_small_teams_in_page_and_api(client: TestClient, session: Session) -> None:
    big, small = squad(session, size=3, name="Big team"), squad(session, size=3, name="Small team")
    closed_round(session, big, 3, at=T0)
    closed_round(session, small, 2, at=T0)
    leader = make_user(session, role=Role.LEADER)
    heat = client.get("/api/v1/health/heatmap", headers=token_headers(session, leader)).json()
    small_row = next(t for t in heat["teams"] if t["name"] == "Small team")
    assert small_row["periods"][heat["period"]] == {
        "round_id": small_row["periods"][heat["period"]]["round_id"],
        "shown": False,
        "hidden_reason": "hidden: fewer than 3 respondents",
    }
    login(client, leader.email)
    page = client.get("/health").text
    row = page[page.index("Small team</a></th>") :]
    row = row[: row.index("</tr>")]
    assert "hidden: fewer than 3 respondents" in row
    assert "band-red" not in row


def _answer(index: int, key: str, colour: str, trend: str) -> dict[str, str]:
    """One card's answer as the round's form names its inputs."""
    row = f"answers.{index}."
    return {f"{row}card_key": key, f"{row}colour": colour, f"{row}trend": trend}


def test_a_member_answers_once_by_the_form_without_an_author(client: TestClient, session: Session) -> None:
    s = squad(session, size=3)
    health_round = service.open_round(session=session, actor=s.dm, team_id=s.team.id, template_id=two_cards(session, s))
    login(client, s.members[0].email)
    page = client.get(f"/health/rounds/{health_round.id}")
    assert "Your answers" in page.text
    token = csrf_from(page.text)
    incomplete = client.post(
        f"/health/rounds/{health_round.id}/answers",
        data={"csrf_token": token, **_answer(0, "speed", "green", "better"), "answers.1.card_key": "fun"},
    )
    assert incomplete.status_code == 422
    assert "Answer every card (1 still needs a colour and a trend)." in incomplete.text
    assert "Choose a colour and a trend for Fun." in incomplete.text
    assert 'value="green" checked' in incomplete.text  # the input is kept
    form = {
        "csrf_token": token,
        **_answer(0, "speed", "green", "better"),
        **_answer(1, "fun", "amber", "same"),
        "answers.1.comment": "More pairing please",
    }
    done = client.post(f"/health/rounds/{health_round.id}/answers", data=form)
    assert done.headers["location"] == f"/health/rounds/{health_round.id}?answered=1"
    after = client.get(done.headers["location"]).text
    assert "Thank you: your answers are in." in after
    assert "Your answers" not in after
    again = client.post(f"/health/rounds/{health_round.id}/answers", data=form)
    assert again.status_code == 409
    api_again = client.post(
        f"/api/v1/health/rounds/{health_round.id}/answers",
        headers={"X-CSRF-Token": token},
        json={
            "answers": [
                {"card_key": "speed", "colour": "red", "trend": "worse"},
                {"card_key": "fun", "colour": "red", "trend": "worse"},
            ]
        },
    )
    assert api_again.status_code == 409
    assert api_again.json()["error"]["message"] == (
        "You have answered this health check already. Answers cannot be changed: nothing links them to you."
    )
    dm_view = client.get(f"/api/v1/health/rounds/{health_round.id}", headers=token_headers(session, s.dm)).json()
    assert dm_view["respondents"] == 1
    assert dm_view["results"]["hidden_reason"] == "open"
    assert s.members[0].name not in str(dm_view)
    assert s.members[0].email not in str(dm_view)


def test_api_opens_answers_closes_and_refuses_bad_input(client: TestClient, session: Session) -> None:
    s = squad(session, size=3)
    dm_headers = token_headers(session, s.dm)
    opened = client.post(f"/api/v1/teams/{s.team.id}/health/rounds", headers=dm_headers, json={"title": "Q2 check"})
    assert opened.status_code == 201
    round_id = opened.json()["id"]
    assert (opened.json()["title"], len(opened.json()["cards"])) == ("Q2 check", 10)
    conflict = client.post(f"/api/v1/teams/{s.team.id}/health/rounds", headers=dm_headers, json={})
    assert conflict.status_code == 409
    keys = [c["key"] for c in opened.json()["cards"]]
    missing = client.post(
        f"/api/v1/health/rounds/{round_id}/answers",
        headers=token_headers(session, s.members[0]),
        json={"answers": [{"card_key": "speed", "colour": "green", "trend": "same"}]},
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["message"] == "Answer every card (9 still need a colour and a trend)."
    assert missing.json()["error"]["details"]["fields"]["fun"] == "Choose a colour and a trend for Fun."
    for member in s.members:
        answered = client.post(
            f"/api/v1/health/rounds/{round_id}/answers",
            headers=token_headers(session, member),
            json={"answers": [{"card_key": k, "colour": "green", "trend": "better"} for k in keys]},
        )
        assert answered.status_code == 201
    by_member = client.post(f"/api/v1/health/rounds/{round_id}/close", headers=token_headers(session, s.members[0]))
    assert by_member.status_code == 403
    closed = client.post(f"/api/v1/health/rounds/{round_id}/close", headers=dm_headers).json()
    assert (closed["state"], closed["respondents"], closed["results"]["overall"]) == ("closed", 3, 1.0)
    assert closed["results"]["cards"][0] == {
        "key": "easy_to_release",
        "title": "Easy to release",
        "colours": {"green": 3, "amber": 0, "red": 0},
        "trends": {"better": 3, "same": 0, "worse": 0},
        "answers": 3,
        "score": 1.0,
        "result": "green",
        "trend_balance": 1.0,
        "change": None,
        "comments": [],
    }


def test_templates_api_and_page(client: TestClient, session: Session) -> None:
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    headers = token_headers(session, dm)
    made = client.post(
        "/api/v1/health/templates",
        headers=headers,
        json={"name": "Platform check", "cards": [{"key": "tooling", "title": "Tooling", "awesome": "a", "crappy": "b"}]},
    )
    assert made.status_code == 201
    assert (made.json()["version"], made.json()["cards"][0]["key"]) == (1, "tooling")
    bad = client.put(
        f"/api/v1/health/templates/{made.json()['id']}",
        headers=headers,
        json={"name": "Platform check", "cards": [{"key": "Tooling", "title": "Tooling", "awesome": "a", "crappy": "b"}]},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"]["cards"].startswith("Card 1 (Tooling): the key 'Tooling' must be")
    member = make_user(session)
    refused = client.post(
        "/api/v1/health/templates",
        headers=token_headers(session, member),
        json={"name": "Mine", "cards": [{"key": "x", "title": "X", "awesome": "a", "crappy": "b"}]},
    )
    assert refused.status_code == 403
    login(client, dm.email)
    page = client.get("/health/templates")
    assert "Squad Health Check" in page.text
    wrong = client.post(
        "/health/templates",
        data={"csrf_token": csrf_from(page.text), "name": "Page check", "cards": "speed | Speed | fast | slow\nfun"},
    )
    assert wrong.status_code == 422
    assert "Line 2: write &#39;key | title | awesome example | crappy example&#39; (found 1 part)." in wrong.text
    assert "speed | Speed | fast | slow" in wrong.text  # the input is kept
    saved = client.post(
        "/health/templates",
        data={"csrf_token": csrf_from(page.text), "name": "Page check", "cards": "speed | Speed | fast | slow\nFun | joy | dull"},
    )
    assert saved.status_code == 303
    detail = client.get(saved.headers["location"]).text
    assert "fun | Fun | joy | dull" in detail


def test_team_page_shows_history_chart_and_open_round(client: TestClient, session: Session) -> None:
    s = squad(session, size=3)
    closed_round(session, s, 3, at=T0)
    team_member = s.members[0]
    login(client, team_member.email)
    empty_team = make_team(session)
    join(session, empty_team, team_member)
    empty = client.get(f"/teams/{empty_team.slug}/health").text
    assert "No health checks yet" in empty
    page = client.get(f"/teams/{s.team.slug}/health").text
    assert "Team health over time" in page
    assert 'href="/health/definitions#score"' in page
    assert "Cards in the red" in page
    service.open_round(session=session, actor=s.dm, team_id=s.team.id)
    assert "Answer the health check" in client.get(f"/teams/{s.team.slug}/health").text
    assert client.get("/health").status_code == 403


def test_opening_a_round_by_the_form_checks_the_closing_day(client: TestClient, session: Session) -> None:
    s = squad(session, size=3)
    token = login(client, s.dm.email)
    past = client.post(
        f"/teams/{s.team.slug}/health/rounds", data={"csrf_token": token, "title": "Late", "closes_on": "2020-01-31"}
    )
    assert past.status_code == 422
    assert "Choose a closing time in the future." in past.text
    assert 'value="Late"' in past.text
    garbled = client.post(f"/teams/{s.team.slug}/health/rounds", data={"csrf_token": token, "closes_on": "31/01"})
    assert "Closing day: expected a date like 2026-03-31, got &#39;31/01&#39;." in garbled.text
    opened = client.post(f"/teams/{s.team.slug}/health/rounds", data={"csrf_token": token, "title": "Q1 check"})
    assert opened.status_code == 303
    assert "Q1 check" in client.get(opened.headers["location"]).text
    no_csrf = client.post(f"/teams/{s.team.slug}/health/rounds", data={"title": "Forged"})
    assert no_csrf.status_code == 403
