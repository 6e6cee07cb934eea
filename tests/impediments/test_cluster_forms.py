"""The cluster page's split, merge and move forms read their input through the form adapter into the API's models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.impediments import clusters, service
from deliveryops.impediments.models import Cluster, Impediment
from tests.factories import login, make_team, make_user

NOW = datetime.now(UTC)
LOGS = ["No access to production logs", "Still waiting for Splunk permissions"]
LAPTOPS = ["New developer still has no laptop", "Waiting on a MacBook for the new hire"]


def _raise(session: Session, titles: list[str]) -> list[Impediment]:
    at = NOW - timedelta(days=3)
    return [service.raise_(session=session, actor=None, team_id=make_team(session).id, title=title, now=at) for title in titles]


def _two_clusters(session: Session) -> tuple[Cluster, Cluster, list[Impediment]]:
    logs = _raise(session, LOGS)
    _raise(session, LAPTOPS)
    first, second = sorted(clusters.propose(session, now=NOW), key=lambda c: c.id)
    return first, second, logs


def _error(response: object, cluster_id: int) -> str:
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert urlsplit(location).path == f"/impediments/clusters/{cluster_id}"
    return str(parse_qs(urlsplit(location).query)["error"][0])


def _state(session: Session) -> list[tuple[int, str, int | None]]:
    session.expire_all()
    return [(c.id, c.status, c.merged_into_id) for c in session.scalars(select(Cluster).order_by(Cluster.id))]


def test_a_non_number_names_the_field_and_changes_nothing(client: TestClient, session: Session) -> None:
    first, second, logs = _two_clusters(session)
    make_user(session, email="ops@example.com", role=Role.PRODUCT_OPS)
    csrf = login(client, "ops@example.com")
    before = _state(session)

    merge = client.post(f"/impediments/clusters/{first.id}/merge", data={"csrf_token": csrf, "other_id": "two"})
    assert merge.status_code == 303
    assert "Other" in _error(merge, first.id)
    move = client.post(
        f"/impediments/clusters/{first.id}/move", data={"csrf_token": csrf, "impediment_id": "1x", "to_cluster_id": ""}
    )
    assert "Impediment" in _error(move, first.id)
    split = client.post(
        f"/impediments/clusters/{first.id}/split",
        data={"csrf_token": csrf, "impediment_ids": [str(logs[0].id), "x"], "reason": "another system"},
    )
    assert "Impediment ids" in _error(split, first.id)

    assert _state(session) == before
    assert {link.impediment_id for link in first.members} == {i.id for i in logs}
    assert session.scalar(select(func.count()).select_from(Cluster)) == 2

    merged = client.post(f"/impediments/clusters/{first.id}/merge", data={"csrf_token": csrf, "other_id": f"{second.id}"})
    assert merged.headers["location"] == f"/impediments/clusters/{first.id}"
    assert (second.id, "merged", first.id) in _state(session)


def test_who_may_not_decide_is_refused_before_the_input_is_judged(client: TestClient, session: Session) -> None:
    first, _second, _logs = _two_clusters(session)
    make_user(session, email="member@example.com")
    csrf = login(client, "member@example.com")
    for action, data in (("merge", {"other_id": "two"}), ("move", {"impediment_id": ""}), ("split", {"reason": ""})):
        response = client.post(f"/impediments/clusters/{first.id}/{action}", data={"csrf_token": csrf, **data})
        assert response.status_code == 403, action


def test_the_confirm_form_names_an_owner_that_is_not_a_number_and_confirms_nothing(client: TestClient, session: Session) -> None:
    first, _second, _logs = _two_clusters(session)
    ops = make_user(session, email="ops@example.com", role=Role.PRODUCT_OPS)
    csrf = login(client, "ops@example.com")
    before = _state(session)

    refused = client.post(f"/impediments/clusters/{first.id}/confirm", data={"csrf_token": csrf, "owner_id": "Ana"})
    assert refused.status_code == 303
    location = urlsplit(refused.headers["location"])
    assert (location.path, location.fragment) == ("/impediments/clusters", f"cluster-{first.id}")
    assert "Owner id" in parse_qs(location.query)["error"][0]
    assert _state(session) == before

    confirmed = client.post(f"/impediments/clusters/{first.id}/confirm", data={"csrf_token": csrf, "owner_id": str(ops.id)})
    assert confirmed.status_code == 303
    assert (first.id, "confirmed", None) in _state(session)
