"""Dependencies found in the data: Jira links synced from the fake Jira (real HTTP) become proposals; blocked
reasons naming another team or a function; cross-repository references; confirm and dismiss; a dismissal stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.connectors.github_changes import change
from deliveryops.db import utcnow
from deliveryops.dependencies import detection, service
from deliveryops.dependencies.detection_schemas import AliasCreate, LinkTypeCreate
from deliveryops.dependencies.models import DependencyFunction, DependencyProposal, DependencyState, ProposalStatus
from deliveryops.dependencies.schemas import DependencyCreate
from deliveryops.errors import ConflictError, PermissionDeniedError
from deliveryops.sync import service as connections
from deliveryops.sync.engine import run_sync
from deliveryops.teams.models import Team, TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.models import Change
from deliveryops.work.records import BlockedIntervalRecord, WorkItemRecord
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeIssue, FakeJira, make_issue
from tests.factories import join, make_team, make_user

APP_KEY = "d" * 48
CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _issues() -> list[FakeIssue]:
    return [
        make_issue("APP-1", created=CREATED, links=[("is_blocked_by", "PAY-1")], summary="Checkout with refunds"),
        make_issue("APP-2", created=CREATED, links=[("depends_on", "PAY-2")]),
        make_issue("APP-3", created=CREATED, links=[("needs_sign_off_from", "PAY-3")]),
        make_issue("APP-4", created=CREATED, links=[("relates_to", "PAY-4")]),
        make_issue("PAY-1", created=CREATED, links=[("blocks", "APP-1")], summary="Refund API"),
        make_issue("PAY-2", created=CREATED, links=[("is_depended_on_by", "APP-2")]),
        make_issue("PAY-3", created=CREATED),
        make_issue("PAY-4", created=CREATED, links=[("relates_to", "APP-4")]),
    ]


def _two_jira_teams(session: Session, url: str) -> tuple[Team, Team, list[int]]:
    """Teams App and Payments, each with a Jira Cloud connection to its project on the fake at ``url``."""
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    ids = [
        connections.create(
            session=session,
            actor=None,
            name=f"Jira {team.name}",
            kind="jira-cloud",
            team_id=team.id,
            settings={"base_url": url, "email": EMAIL, "projects": [project]},
            secret=TOKEN,
            app_key=APP_KEY,
        ).id
        for team, project in ((app, "APP"), (payments, "PAY"))
    ]
    session.commit()
    return app, payments, ids


def _sync(session: Session, session_factory: sessionmaker[Session], ids: list[int], *, full: bool = False) -> None:
    for connection_id in ids:
        run_sync(session_factory, connection_id, app_key=APP_KEY, full=full, sleep=lambda _s: None)
    session.expire_all()


def _proposals(session: Session) -> dict[str, DependencyProposal]:
    return {p.signature: p for p in session.scalars(select(DependencyProposal))}


def test_jira_links_synced_from_the_fake_jira_become_proposals_once(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    with FakeJira(_issues()).serve() as server:
        app, payments, ids = _two_jira_teams(session, server.url)
        _sync(session, session_factory, ids)

    first = detection.detect(session)
    found = _proposals(session)
    # "is blocked by" and "depends on" are read from both sides (PAY-1 blocks APP-1 too): one proposal each.
    assert sorted(found) == ["link:APP-1>PAY-1", "link:APP-2>PAY-2"]
    assert len(first.proposed) == 2
    assert first.already_known == 2
    blocked = found["link:APP-1>PAY-1"]
    assert (blocked.requester_team_id, blocked.provider_team_id, blocked.source) == (app.id, payments.id, "tracker_link")
    assert (blocked.requester_key, blocked.provider_key, blocked.title) == ("APP-1", "PAY-1", "Refund API")
    assert blocked.evidence == "APP-1 is blocked by PAY-1."
    assert "needs sign-off from" in detection.unmapped_phrases(session)

    # An admin maps the site's own link type; the next detection proposes it, and nothing twice.
    detection.add_link_type(session=session, actor=None, body=LinkTypeCreate(phrase="Needs sign-off from", direction="needs"))
    second = detection.detect(session)
    assert [p.signature for p in second.proposed] == ["link:APP-3>PAY-3"]
    assert "needs sign-off from" not in detection.unmapped_phrases(session)
    assert detection.detect(session).proposed == []


def test_confirm_requests_the_dependency_and_a_dismissal_is_remembered(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    with FakeJira(_issues()).serve() as server:
        app, payments, ids = _two_jira_teams(session, server.url)
        _sync(session, session_factory, ids)
        _confirm_then_dismiss(session, app, payments)
        # A full sync again, then detection: the dismissed link is not proposed again, the confirmed one neither.
        _sync(session, session_factory, ids, full=True)
    again = detection.detect(session)
    assert again.proposed == []
    assert again.already_known == 4
    assert _proposals(session)["link:APP-2>PAY-2"].status is ProposalStatus.DISMISSED


def _confirm_then_dismiss(session: Session, app: Team, payments: Team) -> None:
    app_dm, pay_dm, member = (
        make_user(session, role=Role.DELIVERY_MANAGER),
        make_user(session, role=Role.DELIVERY_MANAGER),
        make_user(session),
    )
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    join(session, app, member)
    detection.detect(session)
    found = _proposals(session)
    needed = utcnow().date() + timedelta(days=21)

    with pytest.raises(PermissionDeniedError):  # the providing side dismisses, but does not request for App
        detection.confirm(session=session, actor=pay_dm, proposal_id=found["link:APP-1>PAY-1"].id, needed_by=needed)
    dependency = detection.confirm(session=session, actor=app_dm, proposal_id=found["link:APP-1>PAY-1"].id, needed_by=needed)
    assert (dependency.state, dependency.requester_keys, dependency.provider_keys) == (
        DependencyState.REQUESTED,
        "APP-1",
        "PAY-1",
    )
    assert (dependency.requester_team_id, dependency.provider_team_id, dependency.title) == (app.id, payments.id, "Refund API")
    assert found["link:APP-1>PAY-1"].dependency_id == dependency.id
    with pytest.raises(ConflictError):
        detection.confirm(session=session, actor=app_dm, proposal_id=found["link:APP-1>PAY-1"].id, needed_by=needed)

    with pytest.raises(PermissionDeniedError):  # members read, they do not decide
        detection.dismiss(session=session, actor=member, proposal_id=found["link:APP-2>PAY-2"].id)
    detection.dismiss(session=session, actor=pay_dm, proposal_id=found["link:APP-2>PAY-2"].id, reason="Same team really")
    assert found["link:APP-2>PAY-2"].status is ProposalStatus.DISMISSED
    session.commit()


def test_blocked_reasons_naming_another_team_a_function_or_an_alias(session: Session) -> None:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    legal = session.scalar(select(DependencyFunction).where(DependencyFunction.name == "Legal"))
    assert legal is not None
    since = utcnow() - timedelta(days=3)

    def item(key: str, reason: str, *, ended: bool = False) -> WorkItemRecord:
        end = since + timedelta(days=1) if ended else None
        return WorkItemRecord(
            source="test",
            external_key=key,
            item_type="Story",
            title=f"Work on {key}",
            created_at=since,
            blocked_intervals=(BlockedIntervalRecord(since, end, reason),),
        )

    records = [
        item("APP-10", "Waiting for the payments team to open the refund endpoint"),
        item("APP-11", "legal review of the new terms"),
        item("APP-12", "infosec sign-off"),
        item("APP-13", "Waiting on Payments", ended=True),  # no longer blocked
        item("APP-14", "Apparently flaky build"),  # "App" is the team's own name, and inside a word
    ]
    import_records(session=session, actor=None, team=app, import_format="test", records=records)
    security = session.scalar(select(DependencyFunction).where(DependencyFunction.name == "Security"))
    assert security is not None
    detection.add_alias(session=session, actor=None, body=AliasCreate(alias="infosec", function_id=security.id))

    detection.detect(session)
    found = _proposals(session)
    assert sorted(found) == [
        f"reason:APP-10>team:{payments.id}",
        f"reason:APP-11>function:{legal.id}",
        f"reason:APP-12>function:{security.id}",
    ]
    legal_one = found[f"reason:APP-11>function:{legal.id}"]
    assert (legal_one.source, legal_one.provider_function_id, legal_one.provider_team_id) == ("blocked_reason", legal.id, None)
    assert legal_one.evidence == "APP-11 is blocked: “legal review of the new terms”."


def test_references_are_read_from_text_and_the_github_connector_keeps_other_repositories() -> None:
    assert detection.references("Needs acme/payments#12 and ACME/Payments#12, see acme/web#3.") == [
        ("acme/payments", 12),
        ("acme/web", 3),
    ]
    assert detection.references("email a.b/c#1x or foo#2") == []
    pull = {
        "number": 7,
        "title": "Show refunds",
        "body": "Waits for https://github.com/acme/payments/pull/41 and acme/ledger#9; follows acme/web#6.",
        "user": {"login": "ada"},
        "created_at": "2026-11-30T10:00:00Z",
    }
    assert change("acme/web", pull, [], []).references == ("acme/payments#41", "acme/ledger#9")


def test_cross_repository_references_and_a_recorded_dependency_covers_its_finding(session: Session) -> None:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    opened = utcnow() - timedelta(days=2)

    def pull_request(team: Team, repository: str, number: int, title: str) -> Change:
        return Change(
            team_id=team.id, source="github", repository=repository, number=number, title=title, author="ada", opened_at=opened
        )

    session.add_all(
        [
            pull_request(app, "acme/web", 7, "Show refunds (needs acme/payments#41)"),
            pull_request(app, "acme/web", 8, "Refactor acme/web#7"),  # its own repository
            pull_request(payments, "acme/payments", 41, "Refund endpoint"),
        ]
    )
    session.flush()
    [found] = detection.detect(session).proposed
    assert (found.signature, found.source) == ("ref:acme/web#7>acme/payments#41", "code_reference")
    assert (found.requester_team_id, found.provider_team_id, found.provider_key) == (app.id, payments.id, "acme/payments#41")

    # Requested by hand before it was found: the finding is covered, not proposed.
    described = pull_request(app, "acme/web", 9, "Use the batch endpoint")
    described.references = ["acme/payments#42"]  # from the description, as the GitHub connector stores it
    session.add(described)
    session.flush()
    service.create(
        session=session,
        actor=None,
        body=DependencyCreate(
            requester_team_id=app.id,
            provider_team_id=payments.id,
            title="Refund batch",
            needed_by=utcnow().date() + timedelta(days=9),
            requester_keys=["acme/web#9"],
        ),
    )
    result = detection.detect(session)
    assert (result.proposed, result.covered) == ([], 1)
