"""A vote budget is the person's: a new X-Retro-Token, a second session or device, or the CLI without
--token gives no new budget, in a team's retro and on a multi-team retro's synthesis board (API, pages
and CLI, on SQLite and PostgreSQL). Cards stay anonymous: the vote token is not the card's token, and
the database alone does not tie either to a person."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from deliveryops.accounts.models import Role, User
from deliveryops.retros import multi, service
from deliveryops.retros.models import Card, Retro, Vote
from deliveryops.retros.multi_models import SynthesisVote
from deliveryops.retros.participants import MULTI_RETRO, vote_token
from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json
from tests.retros.test_multi_retros import breakout, organisation, run_breakout

pytestmark = pytest.mark.slow  # one throwaway database per database kind

SPENT = "You have used all 2 of your votes."
_STATE = re.compile(r'<script type="application/json" id="retro-state">(.*?)</script>', re.S)


@dataclass
class Voting:
    """A retro in its vote phase (2 votes each) with one theme on the member's card."""

    parity: Parity
    retro_id: int
    theme_id: int
    dm: User
    member: User

    def api_vote(self, user: User, retro_token: str, *, add: bool = True) -> Any:
        headers = {**self.parity.sign_in_api(user), "X-Retro-Token": retro_token}
        body = {"theme_id": self.theme_id, "add": add}
        return self.parity.api.post(f"/api/v1/retros/{self.retro_id}/votes", json=body, headers=headers)

    def browser_vote(self, browser: TestClient, csrf: str) -> Any:
        body = {"theme_id": self.theme_id}
        return browser.post(f"/api/v1/retros/{self.retro_id}/votes", json=body, headers={"X-CSRF-Token": csrf})

    def cli_vote(self, user: User, *args: str) -> Any:
        return self.parity.cli("retros", "vote", str(self.retro_id), "--theme", str(self.theme_id), "--as", user.email, *args)

    def votes(self) -> list[Vote]:
        with self.parity.seed() as session:
            return list(session.scalars(select(Vote).where(Vote.retro_id == self.retro_id)))


@pytest.fixture
def voting(parity: Parity, request: pytest.FixtureRequest) -> Voting:
    with parity.seed() as session:
        team = make_team(session, name=f"Votes {request.node.name[-40:]}")
        dm, member = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session)
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
        join(session, team, member)
        retro = service.schedule(session=session, actor=dm, team_id=team.id, title="Sprint 30", vote_budget=2)
        service.move_on(session, retro)  # reflect
        retro_id = retro.id
    headers = {**parity.sign_in_api(member), "X-Retro-Token": "card-device"}
    card = parity.api.post(f"/api/v1/retros/{retro_id}/cards", json={"column": "Stop", "text": "Slow CI"}, headers=headers)
    assert card.status_code == 201, card.text
    with parity.seed() as session:
        found = session.get(Retro, retro_id)
        assert found is not None
        service.move_on(session, found)  # group
        theme = service.create_theme(
            session=session, actor=member, retro_id=retro_id, title="CI", card_ids=[c.id for c in found.cards]
        )
        service.move_on(session, found)  # vote
        theme_id = theme.id
    return Voting(parity, retro_id, theme_id, dm, member)


def test_a_new_retro_token_session_or_device_gives_no_new_budget(voting: Voting) -> None:
    member = voting.member
    first = voting.api_vote(member, "device-a")
    assert first.status_code == 200, first.text
    second = voting.api_vote(member, "device-b")  # another X-Retro-Token, another personal API token
    assert (second.json()["votes_left"], second.json()["themes"][0]["my_votes"]) == (0, 2)
    third = voting.api_vote(member, "device-c")
    assert third.status_code == 422
    assert api_error(third)["message"] == SPENT

    # Two browser sessions of the same person: the same spent budget, on the board too.
    browsers = [voting.parity.page, TestClient(voting.parity.page.app, follow_redirects=False)]
    voting.parity.page.cookies.clear()
    for browser in browsers:
        csrf = login(browser, member.email)
        refused = voting.browser_vote(browser, csrf)
        assert refused.status_code == 422, refused.text
        assert api_error(refused)["message"] == SPENT
        page = browser.get(f"/retros/{voting.retro_id}")
        assert page.status_code == 200
        state = json.loads(_STATE.findall(page.text)[0])
        assert (state["votes_left"], state["themes"][0]["my_votes"]) == (0, 2)
    browsers[1].close()

    # The CLI, without --token or with another one, acts as the same person.
    for args in ((), ("--token", "terminal")):
        cli = voting.cli_vote(member, *args, "--format", "json")
        assert cli_error(cli) == api_error(third), args
    taken_back = cli_json(voting.parity, "retros", "vote", str(voting.retro_id), "--theme", str(voting.theme_id),
                          "--take-back", "--as", member.email, "--format", "json")  # fmt: skip
    assert taken_back["votes_left"] == 1  # the one budget, whichever entrance spent it
    assert voting.api_vote(member, "device-d").json()["votes_left"] == 0
    assert len(voting.votes()) == 2


def test_each_person_has_their_own_budget(voting: Voting) -> None:
    for _ in range(2):
        assert voting.api_vote(voting.member, "shared-device").status_code == 200
        assert voting.cli_vote(voting.dm, "--token", "shared-device").exit_code == 0
    assert api_error(voting.api_vote(voting.member, "shared-device"))["message"] == SPENT
    assert cli_error(voting.cli_vote(voting.dm, "--format", "json"))["message"] == SPENT
    seen = cli_json(voting.parity, "retros", "themes", str(voting.retro_id), "--as", voting.dm.email, "--format", "json")
    assert seen["items"][0]["my_votes"] == 2
    assert len({v.voter_token for v in voting.votes()}) == 2


def test_a_vote_token_is_not_the_card_token_and_names_nobody_without_the_key(voting: Voting) -> None:
    member, retro_id = voting.member, voting.retro_id
    assert voting.api_vote(member, "card-device").status_code == 200  # the device that wrote the card
    [vote] = voting.votes()
    with voting.parity.seed() as session:
        [card] = session.scalars(select(Card).where(Card.retro_id == retro_id))
        writer_token, author_id = card.writer_token, card.author_id
    assert author_id is None
    assert vote.voter_token != writer_token
    assert str(member.id) not in {vote.voter_token, writer_token}
    assert hashlib.sha256(str(member.id).encode()).hexdigest() not in {vote.voter_token, writer_token}

    # Only the app's secret key ties the vote token to the person; another key gives another token.
    def stored(key: str) -> str:
        return hashlib.sha256(f"{vote_token(key, retro_id, member.id)}:{retro_id}".encode()).hexdigest()

    assert vote.voter_token == stored(voting.parity.secret_key)
    assert vote.voter_token != stored("another key " * 4)
    assert vote_token(voting.parity.secret_key, retro_id, member.id) != vote_token(
        voting.parity.secret_key, retro_id, member.id, purpose=MULTI_RETRO
    )


def test_the_synthesis_board_budget_is_the_persons(parity: Parity) -> None:
    with parity.seed() as session:
        org = organisation(session)
        found = multi.create(session=session, actor=org.ops, title="PI 12", team_ids=[org.alpha.id, org.beta.id], vote_budget=2)
        run_breakout(session, breakout(session, found, org.alpha), org.al, ["Reviews wait", "PRs sit", "Standups"], "Reviews")
        run_breakout(session, breakout(session, found, org.beta), org.bea, ["Reviews slow", "No reviewer", "Flaky"], "Slow")
        multi.advance(session=session, actor=org.ops, multi_id=found.id)  # synthesis
        multi.advance(session=session, actor=org.ops, multi_id=found.id)  # vote
        multi_id, theme_id, al, bea = found.id, found.themes[0].id, org.al, org.bea

    def api_vote(user: User, retro_token: str) -> Any:
        headers = {**parity.sign_in_api(user), "X-Retro-Token": retro_token}
        return parity.api.post(f"/api/v1/multi-retros/{multi_id}/votes", json={"theme_id": theme_id}, headers=headers)

    assert api_vote(al, "laptop").status_code == 200
    assert api_vote(al, "phone").json()["votes_left"] == 0
    refused = api_vote(al, "tablet")
    assert refused.status_code == 422
    assert api_error(refused)["message"] == "You have used your 2 votes."
    shown = cli_json(parity, "multi-retros", "show", str(multi_id), "--as", al.email, "--format", "json")
    assert (shown["votes_left"], shown["themes"][0]["my_votes"]) == (0, 2)
    assert api_vote(bea, "laptop").json()["votes_left"] == 1  # her own budget
    with parity.seed() as session:
        tokens = [v.voter_token for v in session.scalars(select(SynthesisVote).where(SynthesisVote.multi_retro_id == multi_id))]
    assert len(tokens) == 3
    assert len(set(tokens)) == 2
    assert str(al.id) not in tokens
