"""The roadmap's API and pages: read, what-if side by side (nothing stored), CSV, calendar and plan edits, roles."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.flow.service import today_in
from deliveryops.roadmap import service
from deliveryops.roadmap.engine import Rule
from deliveryops.roadmap.models import RoadmapEpic, TeamAbsence
from deliveryops.teams.models import TeamRole
from tests.factories import csrf_from, join, login, make_user, token_headers
from tests.parity import api_error, page_errors
from tests.roadmap.helpers import small_group


def test_api_roadmap_what_if_and_csv(client: TestClient, session: Session) -> None:
    org = small_group(session, utcnow().date())
    member = make_user(session)
    join(session, org.auckland, member)
    headers = token_headers(session, member)
    read = client.get(f"/api/v1/groups/{org.group.id}/roadmap", headers=headers)
    assert read.status_code == 200, read.text
    body = read.json()
    berlin = next(t for t in body["teams"] if t["team_id"] == org.berlin.id)
    assert [e["key"] for e in berlin["epics"]] == ["B-1", "B-2"]
    second = berlin["epics"][1]
    assert second["p85"] > second["alone_p85"]  # sharing the team moves B-2 later
    assert body["what_if"] is None

    what_if = client.post(
        f"/api/v1/groups/{org.group.id}/roadmap/what-if",
        json={"teams": [{"team_id": org.berlin.id, "order": ["B-2", "B-1"]}]},
        headers=headers,
    )
    assert what_if.status_code == 200, what_if.text
    changed = next(t for t in what_if.json()["what_if"] if t["team_id"] == org.berlin.id)
    assert [e["key"] for e in changed["epics"]] == ["B-2", "B-1"]
    assert changed["epics"][0]["p85"] == second["alone_p85"]  # first in line: its whole-team date
    assert session.scalar(select(func.count()).select_from(RoadmapEpic)) == 0
    bad = client.post(
        f"/api/v1/groups/{org.group.id}/roadmap/what-if",
        json={"teams": [{"team_id": org.berlin.id, "rule": "shares", "shares": {"B-1": 0}}]},
        headers=headers,
    )
    assert bad.status_code == 422
    backwards = client.post(
        f"/api/v1/groups/{org.group.id}/roadmap/what-if",
        json={"teams": [{"team_id": org.berlin.id, "absences": [{"start": "2027-01-05", "end": "2027-01-04", "percent": 50}]}]},
        headers=headers,
    )
    assert backwards.status_code == 422
    too_much = client.post(
        f"/api/v1/groups/{org.group.id}/roadmap/what-if",
        json={"teams": [{"team_id": org.berlin.id, "absences": [{"start": "2027-01-04", "end": "2027-01-05", "percent": 150}]}]},
        headers=headers,
    )
    assert too_much.status_code == 422

    exported = client.get(f"/api/v1/groups/{org.group.id}/roadmap.csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["team"], r["epic"]) for r in rows] == [("Auckland team", "A-1"), ("Berlin team", "B-1"), ("Berlin team", "B-2")]


def test_api_calendar_and_plan_roles(client: TestClient, session: Session) -> None:
    org = small_group(session, utcnow().date())
    member = make_user(session)
    join(session, org.berlin, member)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, org.berlin, dm, TeamRole.DELIVERY_MANAGER)
    outsider = make_user(session)
    as_member, as_dm, as_outsider = token_headers(session, member), token_headers(session, dm), token_headers(session, outsider)
    url = f"/api/v1/teams/{org.berlin.id}"
    assert client.put(f"{url}/calendar", json={"country": "DE"}, headers=as_member).status_code == 403
    assert client.get(f"{url}/calendar", headers=as_outsider).status_code == 403
    assert client.get(f"/api/v1/groups/{org.group.id}/roadmap", headers=as_outsider).status_code == 403
    saved = client.put(f"{url}/calendar", json={"country": "de", "subdivision": "by"}, headers=as_dm)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["country"], saved.json()["subdivision"]) == ("DE", "BY")
    wrong = client.put(f"{url}/calendar", json={"country": "DE", "subdivision": "ZZ"}, headers=as_dm)
    assert wrong.status_code == 422
    assert "subdivision" in wrong.json()["error"]["details"]["fields"]
    today = today_in(org.berlin)  # the team's own date: the calendar lists absences from the team's today on
    absence = client.post(
        f"{url}/absences", json={"start": today.isoformat(), "end": today.isoformat(), "percent": 40}, headers=as_dm
    )
    assert absence.status_code == 201, absence.text
    assert (
        client.post(
            f"{url}/absences", json={"start": today.isoformat(), "end": today.isoformat(), "percent": 40}, headers=as_member
        ).status_code
        == 403
    )
    assert client.get(f"{url}/calendar", headers=as_member).json()["absences"][0]["percent"] == 40
    assert client.delete(f"{url}/absences/{absence.json()['id']}", headers=as_dm).status_code == 204
    assert session.scalar(select(func.count()).select_from(TeamAbsence)) == 0
    plan = client.put(
        f"{url}/roadmap-plan", json={"rule": "shares", "order": ["B-2", "B-1"], "shares": {"B-1": 30, "B-2": 70}}, headers=as_dm
    )
    assert plan.status_code == 200, plan.text
    assert plan.json() == {"team_id": org.berlin.id, "rule": "shares", "order": ["B-2", "B-1"], "shares": {"B-2": 70, "B-1": 30}}
    assert client.put(f"{url}/roadmap-plan", json={"rule": "even"}, headers=as_member).status_code == 403


def test_calendar_form_names_a_bad_country_as_the_api_does(client: TestClient, session: Session) -> None:
    org = small_group(session, utcnow().date())
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, org.berlin, dm, TeamRole.DELIVERY_MANAGER)
    headers = token_headers(session, dm)
    token = login(client, dm.email)
    for body in (
        {"country": "GERMANY-1", "subdivision": ""},
        {"country": "ZZ", "subdivision": ""},
        {"country": "DE", "subdivision": "ZZ"},
    ):
        api = client.put(f"/api/v1/teams/{org.berlin.id}/calendar", json=body, headers=headers)
        page = client.post(f"/teams/{org.berlin.slug}/calendar", data={**body, "csrf_token": token})
        assert (api.status_code, page.status_code) == (422, 422)
        assert page_errors(page.text) == api_error(api)["details"]["fields"], body
        assert f'value="{body["country"]}"' in page.text
    assert page_errors(page.text)["subdivision"].startswith("Choose one of ")
    saved = client.post(f"/teams/{org.berlin.slug}/calendar", data={"country": "de", "subdivision": "", "csrf_token": token})
    assert saved.status_code == 303
    assert client.get(f"/api/v1/teams/{org.berlin.id}/calendar", headers=headers).json()["country"] == "DE"


@pytest.mark.slow
def test_pages_roadmap_what_if_and_calendar_forms(client: TestClient, session: Session) -> None:
    org = small_group(session, utcnow().date())
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, org.berlin, dm, TeamRole.DELIVERY_MANAGER)
    login(client, dm.email)
    page = client.get(f"/groups/{org.group.slug}/roadmap")
    assert page.status_code == 200, page.text
    assert 'id="chart-roadmap"' in page.text
    assert "Fits by the cut date" in page.text
    assert "/definitions#roadmap-date-range" in page.text
    compared = client.get(f"/groups/{org.group.slug}/roadmap", params={"team": org.berlin.id, "order": "B-2 B-1"})
    assert compared.status_code == 200
    assert 'id="what-if-table"' in compared.text
    assert 'id="chart-roadmap-what-if"' in compared.text
    bad = client.get(f"/groups/{org.group.slug}/roadmap", params={"team": org.berlin.id, "away_percent": "300"})
    assert bad.status_code == 422
    assert 'id="away_percent-error"' in bad.text

    calendar = client.get(f"/teams/{org.berlin.slug}/calendar")
    assert calendar.status_code == 200
    token = csrf_from(calendar.text)
    saved = client.post(f"/teams/{org.berlin.slug}/calendar", data={"country": "DE", "subdivision": "", "csrf_token": token})
    assert saved.status_code == 303
    missing = client.post(
        f"/teams/{org.berlin.slug}/absences", data={"start": "", "end": "", "percent": "x", "csrf_token": token}
    )
    assert missing.status_code == 422
    assert 'id="start-error"' in missing.text
    assert "Percent is a whole number, e.g. 12000; got &#39;x&#39;." in missing.text
    before = session.scalar(select(func.count()).select_from(TeamAbsence))
    not_a_number = client.post(
        f"/teams/{org.berlin.slug}/absences",
        data={"start": "2027-01-04", "end": "2027-01-05", "percent": "half", "csrf_token": token},
    )
    assert not_a_number.status_code == 422
    assert 'id="percent-error"' in not_a_number.text
    assert session.scalar(select(func.count()).select_from(TeamAbsence)) == before
    no_csrf = client.post(f"/teams/{org.berlin.slug}/roadmap-plan", data={"rule": "even"})
    assert no_csrf.status_code in (400, 403)
    plan = client.post(f"/teams/{org.berlin.slug}/roadmap-plan", data={"rule": "even", "order": "B-2 B-1", "csrf_token": token})
    assert plan.status_code == 303
    # Another team's calendar: readable by the group, not editable.
    other = client.get(f"/teams/{org.auckland.slug}/calendar")
    assert other.status_code in (200, 403)


def test_roadmap_forms_name_a_share_or_capacity_that_is_not_a_number_and_store_nothing(
    client: TestClient, session: Session
) -> None:
    org = small_group(session, utcnow().date())
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, org.berlin, dm, TeamRole.DELIVERY_MANAGER)
    login(client, dm.email)
    what_if = client.get(
        f"/groups/{org.group.slug}/roadmap",
        params={
            "team": org.berlin.id,
            "shares": "B-1=half",
            "away_from": "2027-01-04",
            "away_to": "2027-01-05",
            "away_percent": "lots",
        },
    )
    assert what_if.status_code == 422
    assert "Capacity away is a whole number, e.g. 12000; got &#39;lots&#39;." in what_if.text
    assert 'id="away_percent-error"' in what_if.text
    assert 'id="chart-roadmap-what-if"' not in what_if.text

    token = csrf_from(client.get(f"/teams/{org.berlin.slug}/calendar").text)
    before = service.team_plan(session, org.berlin)
    bad = client.post(
        f"/teams/{org.berlin.slug}/roadmap-plan",
        data={"rule": "shares", "order": "B-2 B-1", "shares": "B-1=30, B-2=seventy", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert 'id="shares-error"' in bad.text
    assert "Write shares as KEY=percent" in bad.text
    assert "B-2=seventy" in bad.text
    session.expire_all()
    assert service.team_plan(session, org.berlin) == before

    good = client.post(
        f"/teams/{org.berlin.slug}/roadmap-plan",
        data={"rule": "shares", "order": "B-2 B-1", "shares": "B-1=30, B-2=70", "csrf_token": token},
    )
    assert good.status_code == 303
    session.expire_all()
    rule, stored = service.team_plan(session, org.berlin)
    assert (rule, stored["B-1"][1], stored["B-2"][1]) == (Rule.SHARES, 30, 70)
