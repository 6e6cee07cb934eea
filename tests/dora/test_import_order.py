"""Links do not depend on the order sources arrive in (SQLite and PostgreSQL).

The same files, webhook deliveries and connector syncs, imported in any order, give the same links between
deployments and the pull requests they shipped and between incidents and deployments. Each order runs inside
a savepoint that is rolled back afterwards, so every order starts from the same empty database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.dora import service
from deliveryops.dora.csv_formats import import_csv
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.sync.engine import run_sync
from deliveryops.teams.models import Team
from deliveryops.work.models import Change
from tests.connectors.fake_github import REPO, FakeGitHub
from tests.factories import make_team, make_user
from tests.sync.test_dora_sync import APP_KEY, PR_41, PR_51, _connection, deploying_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

# A service deployed under its own name, shipping pull requests of the repository "shop/checkout" (by commit
# list), and one shipping the connector's pull requests 41 and 51 of panjf2000/ants.
SERVICE_DEPLOYMENTS = f"""id,repository,environment,result,started_at,finished_at,commit_shas
s1,checkout-service,production,success,2026-03-05T10:00:00Z,2026-03-05T10:10:00Z,c1 c2
s2,checkout-service,production,success,2026-03-06T10:00:00Z,2026-03-06T10:10:00Z,c3
s3,checkout-service,staging,success,2026-03-04T10:00:00Z,2026-03-04T10:10:00Z,c1
a1,ants-service,production,success,2019-10-10T11:00:00Z,2019-10-10T11:10:00Z,{PR_41} {PR_51}
"""
SERVICE_CHANGES = """repository,number,author,opened_at,merged_at,merge_commit_sha
shop/checkout,11,ann,2026-03-04T08:00:00Z,2026-03-04T09:00:00Z,c1
shop/checkout,12,bob,2026-03-04T08:00:00Z,2026-03-04T09:30:00Z,c2
shop/checkout,13,ann,2026-03-05T08:00:00Z,2026-03-05T12:00:00Z,c3
"""
SERVICE_INCIDENTS = """id,title,created_at,resolved_at,deployment_id,repository
SI-1,Checkout fails,2026-03-06T11:00:00Z,2026-03-06T12:00:00Z,s2,checkout-service
SI-2,Ants pool leaks,2019-10-10T12:00:00Z,2019-10-10T13:00:00Z,a1,
"""
# Between d7 (03-09 10:00) and d8 (03-10 14:00) of the example files: it takes pull request 5 from d8.
WEBHOOK_DEPLOYMENT = {
    "id": "hook-1",
    "repository": "shop",
    "environment": "production",
    "result": "success",
    "started_at": "2026-03-10T10:00:00Z",
    "finished_at": "2026-03-10T10:05:00Z",
}

LinkSet = tuple[frozenset[tuple[str, str, str, str, int]], frozenset[tuple[str, str | None]]]


class World:
    """One team, a webhook token and a fake GitHub; ``run`` imports in a given order and reads the links."""

    def __init__(self, connection: Connection, session: Session, factory: sessionmaker[Session], client: TestClient) -> None:
        self.connection = connection
        self.session = session
        self.factory = factory
        self.client = client
        self.team = make_team(session, name="Checkout")
        admin = make_user(session, role=Role.ADMIN)
        _row, token = service.create_webhook_source(session=session, actor=admin, team_id=self.team.id, name="Jenkins")
        self.headers = {"Authorization": f"Bearer {token}"}
        session.commit()
        self.github_url = ""
        self.connection_id = 0

    def _csv(self, kind: str, content: str) -> Callable[[], None]:
        def step() -> None:
            with self.factory() as session:
                team = session.get(Team, self.team.id)
                assert team is not None
                import_csv(session, team=team, kind=kind, content=content, file_name=f"{kind}.csv")
                session.commit()

        return step

    def _webhook(self) -> None:
        answer = self.client.post("/api/v1/webhooks/deployments", json=WEBHOOK_DEPLOYMENT, headers=self.headers)
        assert answer.status_code == 201, answer.text

    def _sync(self) -> None:
        run_sync(self.factory, self.connection_id, app_key=APP_KEY, sleep=lambda _s: None)

    def steps(self, *, connector: bool) -> dict[str, Callable[[], None]]:
        found = {
            "example deployments.csv": self._csv("deployments", (EXAMPLES / "dora-deployments.csv").read_text()),
            "example changes.csv": self._csv("changes", (EXAMPLES / "dora-changes.csv").read_text()),
            "example incidents.csv": self._csv("incidents", (EXAMPLES / "dora-incidents.csv").read_text()),
            "service deployments.csv": self._csv("deployments", SERVICE_DEPLOYMENTS),
            "service changes.csv": self._csv("changes", SERVICE_CHANGES),
            "service incidents.csv": self._csv("incidents", SERVICE_INCIDENTS),
            "webhook deployment": self._webhook,
        }
        if connector:
            found["GitHub sync"] = self._sync
        return found

    def run(self, order: list[str], steps: dict[str, Callable[[], None]]) -> LinkSet:
        savepoint = self.connection.begin_nested()
        try:
            if "GitHub sync" in order:
                with self.factory() as session:
                    self.connection_id = _connection(session, self.github_url).id
            for name in order:
                steps[name]()
            with self.factory() as session:
                return read_links(session)
        finally:
            savepoint.rollback()


def read_links(session: Session) -> LinkSet:
    shipped = session.execute(
        select(Deployment.source, Deployment.repository, Deployment.external_id, Change.repository, Change.number)
        .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
        .join(Change, Change.id == DeploymentChange.change_id)
    ).all()
    # Sources named after row ids ("webhook-3") are the same source in every order.
    incidents = session.execute(
        select(Incident.external_id, Deployment.external_id).outerjoin(Deployment, Deployment.id == Incident.deployment_id)
    ).all()
    return (
        frozenset(
            (source, repository, external_id, change_repository, number)
            for source, repository, external_id, change_repository, number in shipped
        ),
        frozenset((incident, deployment) for incident, deployment in incidents),
    )


@pytest.fixture
def world(connection: Connection, session: Session, session_factory: sessionmaker[Session], client: TestClient) -> World:
    return World(connection, session, session_factory, client)


def test_deployments_before_changes_link_a_service_named_differently_from_its_repository(world: World) -> None:
    steps = world.steps(connector=False)
    deployments_first = world.run(["service deployments.csv", "service changes.csv"], steps)
    changes_first = world.run(["service changes.csv", "service deployments.csv"], steps)
    expected = {
        ("csv", "checkout-service", "s1", "shop/checkout", 11),
        ("csv", "checkout-service", "s1", "shop/checkout", 12),
        ("csv", "checkout-service", "s2", "shop/checkout", 13),
        ("csv", "checkout-service", "s3", "shop/checkout", 11),
    }
    assert deployments_first[0] == changes_first[0] == expected


def test_every_order_of_the_files_and_the_webhook_gives_the_same_links(world: World) -> None:
    steps = world.steps(connector=False)
    names = sorted(steps)
    reference = world.run(names, steps)
    shipped, incidents = reference
    # The reference itself is the hand-worked one: d8 loses pull request 5 to the webhook's deployment.
    assert ("csv", "shop", "d8", "shop", 5) not in shipped
    assert ("csv", "shop", "d8", "shop", 6) in shipped
    assert any(row[2] == "hook-1" and row[4] == 5 for row in shipped)
    assert ("SI-1", "s2") in incidents
    assert ("INC-3", "d7") in incidents
    # 7! = 5040 orders: every rotation and reversal plus a seeded sample of the rest.
    rng = random.Random(25)
    orders = [names[i:] + names[:i] for i in range(len(names))]
    orders += [list(reversed(order)) for order in orders]
    orders += [rng.sample(names, len(names)) for _ in range(6)]
    for order in orders:
        assert world.run(order, steps) == reference, order


@pytest.mark.slow
def test_any_order_of_files_webhook_and_connector_sync_gives_the_same_links(world: World) -> None:
    fake = FakeGitHub(repos={REPO: deploying_repo()})
    with fake.serve() as server:
        world.github_url = server.url
        steps = world.steps(connector=True)
        names = sorted(steps)
        reference = world.run(names, steps)
        shipped = reference[0]
        # The service named differently from the connector's repository ships pulls 41 and 51 by commit list.
        assert {(row[2], row[3], row[4]) for row in shipped if row[1] == "ants-service"} == {
            ("a1", REPO, 41),
            ("a1", REPO, 51),
        }
        assert {row[4] for row in shipped if row[2] == "deployment:2"} == {41, 51, 53}
        assert ("SI-2", "a1") in reference[1]

        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(order=st.permutations(names))
        def same_links(order: list[str]) -> None:
            assert world.run(list(order), steps) == reference

        same_links()
