"""The leadership pack: periods, headline numbers with trends, epics, questions, PDF (SQLite and PostgreSQL)."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.analytics import forecast as mc
from deliveryops.cockpit.leadership import service as leadership
from deliveryops.cockpit.leadership.pdf import latin1, render_pdf
from deliveryops.cockpit.leadership.service import Period, parse_period
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.flow.models import Forecast
from tests.cockpit.test_portfolio import NOW, build_cockpit_world
from tests.factories import csrf_from, login, token_headers


def test_periods_and_their_previous() -> None:
    assert parse_period("2026-Q3") == Period(date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    assert parse_period("2026-Q1").previous() == Period(date(2025, 10, 1), date(2025, 12, 31), "2025-Q4")
    assert parse_period("2026-03").previous() == Period(date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    assert parse_period("2026-07-01..2026-07-10").previous() == Period(
        date(2026, 6, 21), date(2026, 6, 30), "2026-06-21..2026-06-30"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-Q5", "Unknown period '2026-Q5'."),
        ("2026-13", "No month 13 in '2026-13'."),
        ("2026-02-30..2026-03-01", "'2026-02-30..2026-03-01' holds an impossible date."),
        ("2026-03-01..2026-02-01", "The period ends before it starts."),
        ("", "Unknown period ''."),
        ("0000-Q1", "Choose a year from 1970 to 2999, not 0000."),
        ("2026-12-01..3000-01-01", "Choose a year from 1970 to 2999, not 3000."),
    ],
)
def test_bad_periods_name_the_field(text: str, message: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        parse_period(text)
    assert caught.value.message == message
    assert "period" in caught.value.fields


def test_headlines_compare_with_the_previous_period(session: Session) -> None:
    world = build_cockpit_world(session)
    pack = leadership.build_pack(session=session, actor=world.ops, period="2026-10", group_slug="commerce", now=NOW)
    assert [t.name for t in pack.teams] == ["Alpha", "Beta", "Gamma"]
    assert (pack.to_date, pack.previous) == (False, Period(date(2026, 9, 1), date(2026, 9, 30), "2026-09"))
    heads = {h.key: h for h in pack.headlines}
    # October's Wednesdays are weeks 5-8: Alpha 3+1+2+3, Beta 2 each; September's weeks 0-4: Alpha 1+2+3+1+2.
    assert (heads["throughput"].value, heads["throughput"].previous) == (17.0, 19.0)
    # 17 vs 19 is noise: the weekly totals vary by about ±10 over four weeks each, so no "worse".
    assert (heads["throughput"].change, heads["throughput"].verdict) == (-2.0, "normal")
    assert heads["throughput"].verdict_text == "within normal variation"
    assert heads["throughput"].judgement is not None
    assert heads["throughput"].judgement.method == "week-to-week variation (XmR)"
    assert (heads["cycle_time_p85"].value, heads["cycle_time_p85"].previous, heads["cycle_time_p85"].verdict) == (
        3.0,
        3.0,
        "normal",
    )
    assert heads["lead_time"].verdict in ("", "not_judged")


def test_a_running_period_is_compared_like_for_like(session: Session) -> None:
    world = build_cockpit_world(session)
    pack = leadership.build_pack(session=session, actor=world.ops, period="2026-11", group_slug="commerce", now=NOW)
    assert pack.to_date is True
    assert (pack.period.start, pack.period.end) == (date(2026, 11, 1), date(2026, 11, 26))
    assert pack.previous == Period(date(2026, 10, 1), date(2026, 10, 26), "2026-10")
    heads = {h.key: h for h in pack.headlines}
    # November to date: weeks 9-11 (Alpha 1+2+3, Beta 6); October 1-26: weeks 5-7 (Alpha 3+1+2, Beta 6).
    assert (heads["throughput"].value, heads["throughput"].previous, heads["throughput"].verdict) == (12.0, 12.0, "normal")
    assert (heads["impediments_opened"].value, heads["impediments_opened"].previous) == (2.0, 0.0)
    # 2 against 0 over 26 days each: exact Poisson test p = 0.5, within normal variation, no arrow.
    assert heads["impediments_opened"].verdict == "normal"
    organisation = leadership.build_pack(session=session, actor=world.leader, period="2026-11", now=NOW)
    assert {h.key: h.value for h in organisation.headlines}["throughput"] == 15.0
    assert organisation.scope == "Whole organisation"


def test_open_epics_are_forecast_without_storing(session: Session) -> None:
    world = build_cockpit_world(session)
    pack = leadership.build_pack(session=session, actor=world.ops, period="2026-Q4", now=NOW)
    [epic] = pack.epics
    assert (epic.team_name, epic.key, epic.remaining, epic.total) == ("Alpha", "alpha-E1", 3, 4)
    # 90 complete days ending yesterday hold all 12 weeks: 24 items, finished on Wednesdays.
    window = [0] * 90
    for week, count in enumerate([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]):
        window[(date(2026, 9, 2) - date(2026, 8, 28)).days + 7 * week] = count
    # Alpha's only open epic has the team to itself (priority order, first of one); seed from the team's slug.
    expected = mc.forecast_when(
        window, remaining_items=3, start_date=date(2026, 11, 26), trials=10_000, seed=zlib.crc32(b"alpha")
    )
    assert (epic.p50, epic.p85) == (expected.dates[50], expected.dates[85])
    assert epic.allocation == "priority order: first of 1 epic, the team's whole throughput"

    assert session.scalar(select(func.count()).select_from(Forecast)) == 2  # only the world's two


def test_questions_are_added_by_ops_and_decided(session: Session) -> None:
    world = build_cockpit_world(session)
    asked = leadership.add_question(
        session=session,
        actor=world.ops,
        period="2026-Q4",
        text=" Fund a staging DB? ",
        context="Three teams wait on it.",
        group_id=world.commerce.id,
    )
    assert (asked.text, asked.period, asked.status) == ("Fund a staging DB?", "2026-Q4", "open")
    with pytest.raises(PermissionDeniedError):
        leadership.add_question(session=session, actor=world.leader, period="2026-Q4", text="x")
    with pytest.raises(ValidationFailedError) as caught:
        leadership.add_question(session=session, actor=world.ops, period="Q4", text=" ")
    assert set(caught.value.fields) == {"period", "text"}
    leadership.decide_question(session=session, actor=world.leader, question_id=asked.id, decision="Yes, in Q1.")
    pack = leadership.build_pack(session=session, actor=world.leader, period="2026-Q4", group_slug="commerce", now=NOW)
    assert [(q.text, q.status, q.decision) for q in pack.questions] == [("Fund a staging DB?", "decided", "Yes, in Q1.")]
    assert leadership.build_pack(session=session, actor=world.leader, period="2026-Q4", now=NOW).questions == []


def test_team_roles_get_no_pack(session: Session) -> None:
    world = build_cockpit_world(session)
    with pytest.raises(PermissionDeniedError, match=r"^The leadership pack is for Product Ops, leaders and admins\.$"):
        leadership.build_pack(session=session, actor=world.dm, period="2026-Q4")


def test_latin1_transliterates_what_core_fonts_cannot_draw() -> None:
    assert latin1("Zoë – García’s “plan” … Łódź → ok") == 'Zoë - García\'s "plan" ... Lódz -> ok'


def test_pdf_renders_and_holds_the_headline_numbers(session: Session) -> None:
    world = build_cockpit_world(session)
    leadership.add_question(
        session=session, actor=None, period="2026-10", text="Stop the Zoë–project?", group_id=world.commerce.id
    )
    pack = leadership.build_pack(session=session, actor=world.ops, period="2026-10", group_slug="commerce", now=NOW)
    data = render_pdf(pack, base_url="https://delivery.example.org/", compress=False)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    text = data.decode("latin-1")
    for expected in (
        "(Items finished)",
        "(17 items)",
        "(19 items)",
        "(-2 \\(within normal variation\\))",
        "(1. Stop the Zo\xeb-project? [open])",
        "(Leadership pack - Commerce - 2026-10)",
    ):
        assert expected in text, expected
    # Links are absolute, from the public URL setting: a printed or e-mailed PDF has no base address.
    assert "https://delivery.example.org/definitions" in text
    assert "Definitions: /definitions" not in text
    assert render_pdf(pack, base_url="https://delivery.example.org").startswith(b"%PDF-")


def test_pack_page_pdf_and_question_form(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    csrf = login(client, world.ops.email)
    page = client.get("/cockpit/leadership", params={"group": "commerce", "period": "2026-11"})
    assert page.status_code == 200
    assert 'data-headline="throughput"' in page.text
    assert 'href="/cockpit/leadership.pdf?group=commerce&amp;period=2026-11"' in page.text
    pdf = client.get("/cockpit/leadership.pdf", params={"group": "commerce", "period": "2026-11"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="leadership-commerce-2026-11.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    bad = client.post(
        "/cockpit/leadership/questions", data={"csrf_token": csrf, "period": "2026-11", "group": "commerce", "text": ""}
    )
    assert bad.status_code == 422
    assert "Write the question leadership should decide." in bad.text
    added = client.post(
        "/cockpit/leadership/questions",
        data={"csrf_token": csrf, "period": "2026-11", "group": "commerce", "text": "Hire a platform team?"},
    )
    assert added.headers["location"] == "/cockpit/leadership?group=commerce&period=2026-11#questions"
    assert "Hire a platform team?" in client.get(added.headers["location"]).text
    wrong = client.get("/cockpit/leadership", params={"period": "2026-Q9"})
    assert wrong.status_code == 422
    assert "Write a period like 2026-Q3, 2026-11 or 2026-07-01..2026-09-30." in wrong.text


def test_question_form_needs_csrf(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    login(client, world.ops.email)
    response = client.post("/cockpit/leadership/questions", data={"period": "2026-11", "text": "x"})
    assert response.status_code == 403


def test_pack_api(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    body = client.get(
        "/api/v1/cockpit/leadership",
        params={"group": "commerce", "period": "2026-10"},
        headers=token_headers(session, world.leader),
    ).json()
    assert body["scope"] == "Commerce"
    assert body["previous_period"] == "2026-09"
    assert body["headlines"][0] == {
        "key": "throughput",
        "label": "Items finished",
        "unit": "items",
        "value": 17.0,
        "previous": 19.0,
        "change": -2.0,
        "verdict": "normal",
        "verdict_text": "within normal variation",
        "judged_by": "week-to-week variation (XmR)",
        "judgement_detail": "difference -2; natural variation ±10.0",
    }
    # The data behind the PDF's two charts, with the same numbers the PDF draws.
    by_team, by_week = body["charts"]
    assert by_team["key"] == "throughput_by_team"
    assert by_team["title"] == "Items finished by team, 2026-10 vs 2026-09"
    assert by_team["series"] == ["2026-10", "2026-09"]
    assert by_team["rows"] == [
        {"label": "Alpha", "value": 9, "previous": 9},
        {"label": "Beta", "value": 8, "previous": 10},
        {"label": "Gamma", "value": 0, "previous": 0},
    ]
    assert by_team["definition"] == "/definitions#throughput"
    assert by_week["key"] == "throughput_by_week"
    assert [(r["label"], r["value"], r["previous"]) for r in by_week["rows"]] == [
        ("Week 1", 5, 3),
        ("Week 2", 3, 4),
        ("Week 3", 4, 5),
        ("Week 4", 5, 3),
    ]
    assert sum(r["value"] for r in by_team["rows"]) == body["headlines"][0]["value"]
    denied = client.get("/api/v1/cockpit/leadership", headers=token_headers(session, world.dm))
    assert denied.status_code == 403


def test_page_for_leaders_has_no_question_form(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    login(client, world.leader.email)
    html = client.get("/cockpit/leadership", params={"period": "2026-11"}).text
    assert "Add a question" not in html
    assert csrf_from(html)


def test_parallel_epics_share_their_team_in_the_pack(session: Session) -> None:
    from tests.flow.test_flow_service import epics_team  # noqa: PLC0415

    team = epics_team(session)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)
    pack = leadership.build_pack(session=session, actor=None, period="2026-Q1", now=made)
    first, second = sorted(pack.epics, key=lambda e: e.key)
    assert (first.key, first.remaining, second.key, second.remaining) == ("EP-1", 3, "EP-2", 5)
    assert second.allocation == "priority order: after EP-1 (2 of 2)"
    # EP-2 waits for EP-1: its dates are the forecast of 3 + 5 = 8 of the team's items, not of its own 5.
    window = [0] * 62 + [1] * 28  # 90 days ending 28 February: one item a day in February
    alone = mc.forecast_when(window, remaining_items=5, start_date=date(2026, 3, 1), seed=zlib.crc32(team.slug.encode()) + 1)
    shared = mc.forecast_when(window, remaining_items=8, start_date=date(2026, 3, 1), seed=zlib.crc32(team.slug.encode()) + 1)
    assert second.p85 == shared.dates[85]
    assert alone.dates[85] is not None
    assert shared.dates[85] is not None
    assert alone.dates[85] < shared.dates[85]


def test_pack_epics_committed_are_stored_once_with_the_packs_dates(session: Session) -> None:
    from deliveryops.flow import service as flow  # noqa: PLC0415
    from tests.flow.test_flow_service import epics_team  # noqa: PLC0415

    team = epics_team(session)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)
    pack = leadership.build_pack(session=session, actor=None, period="2026-Q1", now=made)
    assert session.scalar(select(func.count()).select_from(Forecast).where(Forecast.team_id == team.id)) == 0
    assert leadership.commit_pack_epics(session=session, actor=None, period="2026-Q1", now=made) == 2
    assert leadership.commit_pack_epics(session=session, actor=None, period="2026-Q1", now=made) == 2  # idempotent
    stored = flow.list_forecasts(session=session, actor=None, team_id=team.id, committed=True)
    assert len(stored) == 2
    assert {row.commitment for row in stored} == {"pack"}
    # The stored dates are the pack's: same window, same rule, same seeds.
    dates = {row.item_keys[0].split("-C")[0]: row.predicted["85"] for row in stored}
    assert dates == {e.key: e.p85.isoformat() if e.p85 else None for e in pack.epics}


def test_pack_page_commits_epic_dates_with_csrf(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    csrf = login(client, world.ops.email)
    page = client.get("/cockpit/leadership?period=2026-Q4")
    assert "Put these epic dates in the pack as commitments" in page.text
    refused = client.post("/cockpit/leadership/epics/commit", data={"period": "2026-Q4"})
    assert refused.status_code == 403
    before = session.scalar(select(func.count()).select_from(Forecast).where(Forecast.commitment == "pack"))
    done = client.post("/cockpit/leadership/epics/commit", data={"csrf_token": csrf, "period": "2026-Q4"})
    assert done.status_code == 200
    assert "epic forecasts are in the pack as commitments" in done.text
    after = session.scalar(select(func.count()).select_from(Forecast).where(Forecast.commitment == "pack"))
    assert (before, after) == (0, 1)  # Alpha's one open epic
    bad = client.post("/cockpit/leadership/epics/commit", data={"csrf_token": csrf, "period": "soon"})
    assert bad.status_code == 422


def test_pdf_draws_the_throughput_charts(session: Session) -> None:
    world = build_cockpit_world(session)
    pack = leadership.build_pack(session=session, actor=world.ops, period="2026-10", group_slug="commerce", now=NOW)
    assert [(t.team_name, t.value, t.previous) for t in pack.team_throughput] == [
        ("Alpha", 9, 9),
        ("Beta", 8, 10),
        ("Gamma", 0, 0),
    ]
    # Complete 7-day weeks from 1 October and 1 September; the 29th-31st and the 29th-30th are partial weeks.
    assert pack.weekly_throughput == ([5, 3, 4, 5], [3, 4, 5, 3])
    text = render_pdf(pack, base_url="https://delivery.example.org/", compress=False).decode("latin-1")
    by_team, by_week = "(Items finished by team, 2026-10 vs 2026-09)", "(Items finished per week, 2026-10 vs 2026-09)"
    for expected in (by_team, by_week, "(Team)", "(Items finished (items))", "(Week 1)", "(Alpha)", "(Gamma)"):
        assert expected.replace("(items)", "\\(items\\)") in text, expected
    assert text.count("Definition: https://delivery.example.org/definitions#throughput") == 2
    # Between the two titles: the legend's two swatches, then one filled and one outlined bar per team.
    chart = text[text.index(by_team) : text.index(by_week)]
    assert chart.count(" re f") == 1 + len(pack.teams)
    assert chart.count(" re S") == 1 + len(pack.teams)
    short = leadership.build_pack(
        session=session, actor=world.ops, period="2026-10-01..2026-10-03", group_slug="commerce", now=NOW
    )
    assert short.weekly_throughput == ([], [])
    assert b"(The period has no complete week yet." in render_pdf(short, base_url="https://d.example.org", compress=False)


def test_pdf_chart_of_a_large_scope_fits_one_page() -> None:
    teams = [leadership.TeamThroughput(f"Team {n}", n, 60 - n) for n in range(60)]
    pack = leadership.LeadershipPack(
        scope="Whole organisation",
        group=None,
        period=Period(date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
        previous=Period(date(2026, 9, 1), date(2026, 9, 30), "2026-09"),
        generated_at=datetime(2026, 11, 2, tzinfo=UTC),
        to_date=False,
        teams=[],
        headlines=[],
        clusters=[],
        epics=[],
        experiments=None,
        adoption=None,
        questions=[],
        team_throughput=teams,
    )
    text = render_pdf(pack, base_url="https://d.example.org", compress=False).decode("latin-1")
    chart = text[text.index("(Items finished by team") : text.index("(Items finished per week")]
    assert chart.count(" re f") == 1 + 60
    assert "endstream" not in chart.split("definitions#throughput")[0]  # no page break inside the chart
