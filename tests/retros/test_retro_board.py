"""The retro board's facilitation, themes and actions: who sees the controls, a read-only finished board,
renaming, merging and deleting themes, suggested titles, and actions with owner, due date and metric."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions.models import ImprovementAction, TargetMetric
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.retros import service
from deliveryops.retros.models import Phase, Retro, Vote
from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_team, make_user, token_headers


def setup_retro(session: Session):
    team = make_team(session)
    dm, member, scheduler = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session), make_user(session)
    for person, role in ((dm, TeamRole.DELIVERY_MANAGER), (member, TeamRole.MEMBER), (scheduler, TeamRole.MEMBER)):
        join(session, team, person, role)
    retro = service.schedule(session=session, actor=scheduler, team_id=team.id, title="Sprint 9", vote_budget=3)
    return team, dm, member, scheduler, retro


def to_phase(session: Session, actor, retro: Retro, phase: Phase) -> None:
    while retro.phase is not phase:
        service.advance(session=session, actor=actor, retro_id=retro.id)


def grouped(session: Session, dm, retro: Retro, texts: list[str]) -> None:
    to_phase(session, dm, retro, Phase.REFLECT)
    for text in texts:
        service.add_card(session=session, actor=dm, retro_id=retro.id, token="dm", column="Stop", text=text)
    to_phase(session, dm, retro, Phase.GROUP)


def test_controls_only_for_the_facilitator_and_a_finished_board_is_read_only(client: TestClient, session: Session) -> None:
    _team, dm, member, scheduler, retro = setup_retro(session)
    assert [service.can_facilitate(session, p, retro) for p in (dm, member, scheduler)] == [True, False, True]
    login(client, member.email)
    page = client.get(f"/retros/{retro.id}").text
    assert "Next phase" not in page
    assert "Start timer" not in page
    assert client.post(f"/api/v1/retros/{retro.id}/advance", headers=token_headers(session, member)).status_code == 403
    assert (
        client.post(f"/api/v1/retros/{retro.id}/timer", json={"minutes": 5}, headers=token_headers(session, member)).status_code
        == 403
    )
    login(client, scheduler.email)
    assert "Next phase" in client.get(f"/retros/{retro.id}").text
    to_phase(session, dm, retro, Phase.FINISHED)
    session.commit()
    login(client, dm.email)
    finished = client.get(f"/retros/{retro.id}").text
    assert "Next phase" not in finished
    assert "This retro is finished: the board is read-only." in finished
    refused = client.post(f"/api/v1/retros/{retro.id}/advance", headers=token_headers(session, dm))
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "The retro is finished."
    with pytest.raises(ValidationFailedError):
        service.add_card(session=session, actor=member, retro_id=retro.id, token="m", column="Stop", text="late")


def test_rename_merge_delete_and_an_emptied_theme_disappears(session: Session) -> None:
    _team, dm, member, _scheduler, retro = setup_retro(session)
    grouped(session, dm, retro, ["Long stand-ups", "Stand-ups overrun", "Flaky pipeline"])
    long_, overrun, flaky = (c.id for c in retro.cards)
    a = service.create_theme(session=session, actor=member, retro_id=retro.id, title="Meetings", card_ids=[long_])
    b = service.create_theme(session=session, actor=member, retro_id=retro.id, title="Stand-ups", card_ids=[overrun])
    c = service.create_theme(session=session, actor=member, retro_id=retro.id, title="CI", card_ids=[flaky])
    service.rename_theme(session=session, actor=member, retro_id=retro.id, theme_id=c.id, title="  Pipeline  ")
    assert c.title == "Pipeline"
    with pytest.raises(ValidationFailedError):
        service.rename_theme(session=session, actor=member, retro_id=retro.id, theme_id=c.id, title=" ")
    notice = service.merge_themes(session=session, actor=member, retro_id=retro.id, theme_id=a.id, into_id=b.id)
    assert notice == "The theme \u201cMeetings\u201d was merged into \u201cStand-ups\u201d."
    assert [t.title for t in retro.themes] == ["Stand-ups", "Pipeline"]
    assert {card.theme_id for card in retro.cards if card.id in (long_, overrun)} == {b.id}
    # Moving the last card out of a theme removes the theme.
    moved = service.move_card(session=session, actor=member, retro_id=retro.id, card_id=flaky, theme_id=b.id)
    assert moved == "The theme \u201cPipeline\u201d had no cards left and was removed."
    assert [t.title for t in retro.themes] == ["Stand-ups"]
    assert service.move_card(session=session, actor=member, retro_id=retro.id, card_id=flaky, theme_id=None) is None
    # Voting: merged votes move over, a deleted theme's votes go with it (and the notice says so).
    d = service.create_theme(session=session, actor=member, retro_id=retro.id, title="Other", card_ids=[flaky])
    service.advance(session=session, actor=dm, retro_id=retro.id)
    service.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=d.id)
    service.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=d.id)
    notice = service.delete_theme(session=session, actor=member, retro_id=retro.id, theme_id=d.id)
    assert notice == "The theme \u201cOther\u201d was deleted and was removed and its 2 votes went with it."
    assert session.scalars(select(Vote).where(Vote.retro_id == retro.id)).all() == []
    assert service.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=b.id) == 2  # budget back


def test_suggested_titles_come_from_shared_words(client: TestClient, session: Session) -> None:
    _team, dm, member, _scheduler, retro = setup_retro(session)
    grouped(
        session,
        dm,
        retro,
        ["Starting stories without acceptance criteria", "Stories begun with no acceptance criteria", "Coffee"],
    )
    session.commit()
    answer = client.get(f"/api/v1/retros/{retro.id}/suggested-themes", headers=token_headers(session, member))
    assert answer.status_code == 200
    group = {"title": "Stories acceptance criteria", "card_ids": [c.id for c in retro.cards[:2]]}
    assert answer.json() == {"items": [group], "total": 1, "limit": 100, "offset": 0}
    ids = client.get(f"/api/v1/retros/{retro.id}/suggestions?limit=1&offset=1", headers=token_headers(session, member))
    assert ids.json() == {"items": [], "total": 1, "limit": 1, "offset": 1}


def test_actions_with_owner_due_date_and_metric_join_the_ledger(client: TestClient, session: Session) -> None:
    _team, dm, member, _scheduler, retro = setup_retro(session)
    to_phase(session, dm, retro, Phase.DISCUSS)
    session.commit()
    headers = token_headers(session, member)
    body = {
        "title": "Limit WIP to 3",
        "owner_id": member.id,
        "due_date": "2027-01-15",
        "target_metric": "cycle_time_p85",
        "expected_direction": "decrease",
    }
    answer = client.post(f"/api/v1/retros/{retro.id}/actions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    [shown] = answer.json()["actions"]
    assert shown["owner"] == member.name
    assert shown["due_date"] == "2027-01-15"
    assert shown["target_metric"] == "cycle_time_p85"
    action = session.scalars(select(ImprovementAction).where(ImprovementAction.retro_id == retro.id)).one()
    assert (action.owner_id, action.due_date, action.target_metric) == (member.id, date(2027, 1, 15), TargetMetric.CYCLE_TIME_P85)
    assert action.source == "retro"
    outsider = make_user(session)
    session.commit()
    refused = client.post(f"/api/v1/retros/{retro.id}/actions", json={**body, "owner_id": outsider.id}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"] == {"owner_id": "not in the team"}
    with pytest.raises(PermissionDeniedError):
        service.add_action(session=session, actor=outsider, retro_id=retro.id, title="x")


def test_reactions_one_of_each_per_participant_and_anonymous(session: Session) -> None:
    _team, dm, member, _scheduler, retro = setup_retro(session)
    grouped(session, dm, retro, ["Long stand-ups"])
    [card] = retro.cards
    thumbs, party = service.REACTIONS[0], service.REACTIONS[3]
    assert service.react(session=session, actor=member, retro_id=retro.id, token="m", card_id=card.id, emoji=thumbs)
    assert service.react(session=session, actor=dm, retro_id=retro.id, token="d", card_id=card.id, emoji=thumbs)
    assert service.react(session=session, actor=dm, retro_id=retro.id, token="d", card_id=card.id, emoji=party)
    [seen] = service.state(session, retro, token="m").model_dump(mode="json")["cards"]
    assert seen["reactions"] == {thumbs: 2, party: 1}
    assert seen["my_reactions"] == [thumbs]
    # Pressing the same emoji again takes it back: never two of one emoji from one participant.
    assert not service.react(session=session, actor=member, retro_id=retro.id, token="m", card_id=card.id, emoji=thumbs)
    assert service.state(session, retro, token="m").model_dump(mode="json")["cards"][0]["reactions"] == {thumbs: 1, party: 1}
    with pytest.raises(ValidationFailedError):
        service.react(session=session, actor=member, retro_id=retro.id, token="m", card_id=card.id, emoji="x")
    to_phase(session, dm, retro, Phase.FINISHED)
    with pytest.raises(ValidationFailedError):  # a finished board is read-only
        service.react(session=session, actor=member, retro_id=retro.id, token="m", card_id=card.id, emoji=thumbs)


def test_icebreaker_is_the_facilitators_to_pick_or_shuffle(client: TestClient, session: Session) -> None:
    _team, dm, member, _scheduler, retro = setup_retro(session)
    question = service.ICEBREAKERS[1]
    service.set_icebreaker(session=session, actor=dm, retro_id=retro.id, question=question)
    assert service.state(session, retro, token="m").model_dump(mode="json")["icebreaker"] == question
    service.set_icebreaker(session=session, actor=dm, retro_id=retro.id, shuffle=True)
    assert retro.icebreaker in service.ICEBREAKERS
    assert retro.icebreaker != question
    with pytest.raises(PermissionDeniedError):
        service.set_icebreaker(session=session, actor=member, retro_id=retro.id, question="Mine")
    session.commit()
    refused = client.post(f"/api/v1/retros/{retro.id}/icebreaker", json={"shuffle": True}, headers=token_headers(session, member))
    assert refused.status_code == 403
    cleared = client.post(f"/api/v1/retros/{retro.id}/icebreaker", json={"question": ""}, headers=token_headers(session, dm))
    assert cleared.json()["icebreaker"] is None


def test_the_board_answers_its_contract_with_a_notice_only_when_a_change_says_something(
    client: TestClient, session: Session
) -> None:
    _team, dm, _member, _scheduler, retro = setup_retro(session)
    grouped(session, dm, retro, ["Long stand-ups", "Slow reviews"])
    card_id = retro.cards[0].id
    theme_id = service.create_theme(session=session, actor=dm, retro_id=retro.id, title="Meetings", card_ids=[card_id]).id
    session.commit()
    headers = token_headers(session, dm)
    timed = client.post(f"/api/v1/retros/{retro.id}/timer", json={"minutes": 5}, headers=headers).json()
    assert "notice" not in timed
    assert timed["timer_ends_at"].endswith("+00:00")  # the stored instant's ISO form, offset included
    assert [(t["title"], t["votes"], t["notes"]) for t in timed["themes"]] == [("Meetings", None, "")]
    moved = client.post(f"/api/v1/retros/{retro.id}/cards/{card_id}/move", json={"theme_id": None}, headers=headers).json()
    assert moved["notice"] == "The theme \u201cMeetings\u201d had no cards left and was removed."
    assert moved["themes"] == []
    assert "notice" not in client.get(f"/api/v1/retros/{retro.id}", headers=headers).json()
    assert theme_id not in {t["id"] for t in client.get(f"/api/v1/retros/{retro.id}", headers=headers).json()["themes"]}
    schema = client.get("/api/openapi.json").json()
    answer = schema["paths"]["/api/v1/retros/{retro_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/RetroRead"}
