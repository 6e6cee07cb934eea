"""Deployment rework rate (the 2024 DORA report's fifth key) on a hand-worked example, pure and end to end.

Repositories "shop" and "billing", production unless noted, March 2026 UTC (day hh:mm):

    id  repo     env         result   started    ref                        rework?
    1   shop     production  success  02 10:00   main                       no
    2   shop     production  success  03 10:00   hotfix/login               yes: ref
    3   shop     production  success  04 10:00   main                       yes: incident 1 open (04 09:00-12:00)
    4   shop     production  success  05 10:00   main                       no: incident 2 created later (11:00)
    5   shop     production  success  05 12:00   main                       yes: incident 2 still open
    6   shop     staging     success  05 13:00   hotfix/x                   not production
    7   shop     production  failure  06 09:00   revert-12                  failed, no incident: not counted
    8   billing  production  success  05 14:00   main                       no: incident 2 is shop's
    9   shop     production  success  06 10:00   v1.2-rollback              yes: ref (incident 2 open too; counted once)
    10  billing  production  success  06 11:00   feature/prevent-timeouts   no: "prevent" is not "revert"
    11  shop     production  success  04 12:00   main                       no: incident 1 resolved at 12:00

Incidents: 1 (repository shop) 04 09:00 → 04 12:00, inferred to deployment 2 (latest before it);
2 (no repository, explicitly deployment 3, so shop's) 05 11:00, still open.

Counted: 1, 2, 3, 4, 5, 8, 9, 10, 11 = 9. Rework: 2, 3, 5, 9 = 4. Rate 4/9. Change failure rate: 2 and 3
have incidents = 2/9.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.analytics.dora import CHANGE_SCHEMA, DEPLOYMENT_SCHEMA, INCIDENT_SCHEMA, LINK_SCHEMA, dora_keys, dora_tables
from deliveryops.analytics.dora.series import dora_series
from deliveryops.connectors.base import DeploymentRecord, IncidentRecord
from deliveryops.dora.ingest import import_deployments, import_incidents
from tests.factories import make_team, make_user, token_headers


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# id, repository, environment, result, started, ref
DEPLOYMENTS = [
    (1, "shop", "production", "success", at(2, 10), "main"),
    (2, "shop", "production", "success", at(3, 10), "hotfix/login"),
    (3, "shop", "production", "success", at(4, 10), "main"),
    (4, "shop", "production", "success", at(5, 10), "main"),
    (5, "shop", "production", "success", at(5, 12), "main"),
    (6, "shop", "staging", "success", at(5, 13), "hotfix/x"),
    (7, "shop", "production", "failure", at(6, 9), "revert-12"),
    (8, "billing", "production", "success", at(5, 14), "main"),
    (9, "shop", "production", "success", at(6, 10), "v1.2-rollback"),
    (10, "billing", "production", "success", at(6, 11), "feature/prevent-timeouts"),
    (11, "shop", "production", "success", at(4, 12), "main"),
]
# id, created, resolved, repository, explicit deployment
INCIDENTS = [(1, at(4, 9), at(4, 12), "shop", None), (2, at(5, 11), None, None, 3)]
REWORK = {2: "ref", 3: "incident", 5: "incident", 9: "ref"}


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    deployments = pl.DataFrame(
        [
            (i, repository, environment, result, started, started.replace(minute=10), ref)
            for i, repository, environment, result, started, ref in DEPLOYMENTS
        ],
        schema={**DEPLOYMENT_SCHEMA, "ref": pl.Utf8},
        orient="row",
    )
    incidents = pl.DataFrame(INCIDENTS, schema=INCIDENT_SCHEMA, orient="row")
    return deployments, incidents


def test_the_hand_worked_rework_rate() -> None:
    deployments, incidents = frames()
    tables = dora_tables(deployments, pl.DataFrame(schema=CHANGE_SCHEMA), pl.DataFrame(schema=LINK_SCHEMA), incidents)
    rows = tables.deployments.sort("id")
    # Staging (6) carries a hotfix ref and the failed 7 a revert ref: only successful production deployments are rework.
    assert dict(zip(rows["id"], rows["rework_reason"], strict=True)) == {i: REWORK.get(i) for i in range(1, 12)}
    assert rows.filter(pl.col("rework"))["id"].to_list() == [2, 3, 5, 9]
    keys = dora_keys(tables, start=date(2026, 3, 2), end=date(2026, 3, 8))
    assert (keys.deployments, keys.rework_deployments, keys.failed_deployments) == (9, 4, 2)
    assert keys.rework_rate == pytest.approx(4 / 9)
    assert keys.change_failure_rate == pytest.approx(2 / 9)
    # Per week: the week of 2 March holds all of them; the next week none (no rate, not 0).
    series = dora_series(tables, start=date(2026, 3, 2), end=date(2026, 3, 15), period="week")
    assert series["rework_rate"].to_list() == [pytest.approx(4 / 9), None]
    assert series["rework_deployments"].to_list() == [4, 0]


def test_without_refs_only_incidents_make_rework() -> None:
    deployments, incidents = frames()
    tables = dora_tables(deployments.drop("ref"), pl.DataFrame(schema=CHANGE_SCHEMA), pl.DataFrame(schema=LINK_SCHEMA), incidents)
    assert tables.deployments.filter(pl.col("rework")).sort("id")["id"].to_list() == [3, 5, 9]


def test_the_rework_rate_through_the_api(client: TestClient, session: Session) -> None:
    team = make_team(session)
    import_deployments(
        session,
        team=team,
        deployments=[
            DeploymentRecord(
                source="ci",
                external_id=str(i),
                repository=repository,
                environment=environment,
                result=result,
                started_at=started,
                finished_at=started.replace(minute=10),
                commit_sha=None,
                ref=ref,
            )
            for i, repository, environment, result, started, ref in DEPLOYMENTS
        ],
    )
    import_incidents(
        session,
        team=team,
        incidents=[
            IncidentRecord(
                source="pager",
                external_id=f"INC-{i}",
                title=f"Incident {i}",
                created_at=created,
                resolved_at=resolved,
                repository=repository,
                deployment_external_id=str(deployment) if deployment else None,
            )
            for i, created, resolved, repository, deployment in INCIDENTS
        ],
    )
    viewer = make_user(session, role=Role.ADMIN)
    session.flush()
    query = {"start": "2026-03-02", "end": "2026-03-08"}
    summary = client.get(f"/api/v1/teams/{team.id}/dora", params=query, headers=token_headers(session, viewer)).json()
    assert (summary["keys"]["rework_deployments"], summary["keys"]["deployments"]) == (4, 9)
    assert summary["keys"]["rework_rate"] == pytest.approx(4 / 9)
    items = client.get(f"/api/v1/teams/{team.id}/dora/deployments", params=query, headers=token_headers(session, viewer)).json()[
        "items"
    ]
    assert {row["external_id"]: row["rework_reason"] for row in items if row["rework"]} == {
        str(i): reason for i, reason in REWORK.items()
    }
