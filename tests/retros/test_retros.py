"""Retrospectives: privacy, anonymity, phases, votes and export (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.retros import service
from deliveryops.retros.models import Card, Phase
from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_team, make_user, token_headers


def setup_retro(session: Session):
    team = make_team(session)
    dm, member = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    retro = service.schedule(session=session, actor=dm, team_id=team.id, title="Sprint 9", vote_budget=2)
    return team, dm, member, retro


def test_only_the_team_sees_a_retro(session: Session) -> None:
    _team, _dm, _member, retro = setup_retro(session)
    for role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        with pytest.raises(PermissionDeniedError) as info:
            service.get_or_raise(session=session, actor=make_user(session, role=role), retro_id=retro.id)
        assert info.value.message == "Retrospectives are visible only to the team and its delivery manager."


def test_anonymous_cards_store_no_author_and_stay_private_while_reflecting(session: Session) -> None:
    _team, dm, member, retro = setup_retro(session)
    service.advance(session=session, actor=dm, retro_id=retro.id)
    service.add_card(
        session=session, actor=member, retro_id=retro.id, token="member-device", column="Stop", text="Long stand-ups"
    )
    service.add_card(session=session, actor=dm, retro_id=retro.id, token="dm-device", column="Start", text="Pairing on reviews")
    cards = list(session.scalars(select(Card).where(Card.retro_id == retro.id)))
    assert [c.author_id for c in cards] == [None, None]
    # Only a hash of a random device token is kept: nothing that names or numbers a person.
    assert all(len(c.writer_token) == 64 and "member-device" not in c.writer_token for c in cards)
    seen_by_member = service.state(session, retro, token="member-device").model_dump(mode="json")
    assert [c["text"] for c in seen_by_member["cards"]] == ["Long stand-ups"]
    assert seen_by_member["hidden_cards"] == {"Start": 1}
    service.advance(session=session, actor=dm, retro_id=retro.id)  # group: everything visible, still no author
    revealed = service.state(session, retro, token="member-device").model_dump(mode="json")
    assert sorted(c["text"] for c in revealed["cards"]) == ["Long stand-ups", "Pairing on reviews"]
    assert all(set(c) == {"id", "column", "text", "theme_id", "mine", "reactions", "my_reactions"} for c in revealed["cards"])


def test_phases_votes_and_export(session: Session) -> None:
    _team, dm, member, retro = setup_retro(session)
    with pytest.raises(ValidationFailedError) as early:
        service.add_card(session=session, actor=member, retro_id=retro.id, token="m", column="Stop", text="x")
    assert early.value.message == "That is done in the reflect phase; the retro is in the review phase."
    with pytest.raises(PermissionDeniedError):
        service.advance(session=session, actor=member, retro_id=retro.id)
    service.advance(session=session, actor=dm, retro_id=retro.id)
    service.add_card(session=session, actor=member, retro_id=retro.id, token="m", column="Stop", text="Long stand-ups")
    service.advance(session=session, actor=dm, retro_id=retro.id)
    service.advance(session=session, actor=dm, retro_id=retro.id)  # vote: the loose card became a theme
    assert retro.phase is Phase.VOTE
    [theme] = retro.themes
    assert service.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=theme.id) == 1
    assert service.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=theme.id) == 0
    with pytest.raises(ValidationFailedError, match=r"You have used all 2 of your votes\."):
        service.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=theme.id)
    assert service.state(session, retro, token="dm").model_dump(mode="json")["themes"][0]["votes"] is None  # hidden while voting
    service.advance(session=session, actor=dm, retro_id=retro.id)  # discuss
    assert service.state(session, retro, token="dm").model_dump(mode="json")["themes"][0]["votes"] == 2
    service.set_notes(session=session, actor=member, retro_id=retro.id, theme_id=theme.id, notes="Cap at 15 minutes")
    action = service.add_action(session=session, actor=member, retro_id=retro.id, title="Time-box stand-ups")
    assert action.source == "retro"
    service.advance(session=session, actor=dm, retro_id=retro.id)
    service.advance(session=session, actor=dm, retro_id=retro.id)
    assert retro.phase is Phase.FINISHED  # type: ignore[comparison-overlap]  # narrowed by an assertion above
    markdown = service.export_markdown(session, retro)
    assert "## Long stand-ups (2 votes)" in markdown
    assert "- Long stand-ups (Stop)" in markdown
    assert "Notes: Cap at 15 minutes" in markdown
    assert "- Time-box stand-ups (open)" in markdown


def test_api_and_pages(client: TestClient, session: Session) -> None:
    team, _dm, member, retro = setup_retro(session)
    headers = token_headers(session, member)
    assert client.get(f"/api/v1/retros/{retro.id}", headers=headers).json()["phase"] == "review"
    outsider = make_user(session, role=Role.ADMIN)
    assert client.get(f"/api/v1/retros/{retro.id}", headers=token_headers(session, outsider)).status_code == 403
    login(client, member.email)
    assert "Sprint 9" in client.get(f"/teams/{team.slug}/retros").text
    assert client.get(f"/retros/{retro.id}").status_code == 200
