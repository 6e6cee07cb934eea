"""Running a retro from the command line: cards, themes, votes, phases and actions give what the API gives,
with the same errors, the same privacy and the same roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from deliveryops.accounts.models import Role, User
from deliveryops.retros import service
from deliveryops.retros.models import Card
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind


@dataclass
class Board:
    """A retro with its facilitator, a member and someone of another team."""

    retro_id: int
    dm: User
    member: User
    outsider: User
    parity: Parity

    def api(self, user: User, token: str) -> dict[str, str]:
        return {**self.parity.sign_in_api(user), "X-Retro-Token": token}

    def seen(self, user: User, token: str) -> dict[str, Any]:
        """The board as the API shows it to ``user`` with ``token``."""
        response = self.parity.api.get(f"/api/v1/retros/{self.retro_id}", headers=self.api(user, token))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def cli(self, command: str, user: User, *args: str) -> dict[str, Any]:
        found: dict[str, Any] = cli_json(
            self.parity, "retros", command, str(self.retro_id), "--as", user.email, *args, "--format", "json"
        )
        return found

    def cli_refused(self, command: str, user: User, *args: str) -> dict[str, Any]:
        return cli_error(self.parity.cli("retros", command, str(self.retro_id), "--as", user.email, *args, "--format", "json"))

    def api_refused(self, path: str, user: User, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"/api/v1/retros/{self.retro_id}{path}"
        response = self.parity.api.post(url, json=body or {}, headers=self.api(user, token))
        assert response.status_code >= 400, response.text
        return api_error(response)


def _page(items: list[Any], limit: int = 100, offset: int = 0) -> dict[str, Any]:
    return {"items": items[offset : offset + limit], "total": len(items), "limit": limit, "offset": offset}


@pytest.fixture
def board(parity: Parity, request: pytest.FixtureRequest) -> Board:
    with parity.seed() as session:
        team = make_team(session, name=f"Retro parity {request.node.name[-40:]}")
        dm = make_user(session, role=Role.DELIVERY_MANAGER)
        member, outsider = make_user(session), make_user(session)
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
        join(session, team, member)
        join(session, make_team(session), outsider)
        retro = service.schedule(session=session, actor=dm, team_id=team.id, title="Sprint 12", vote_budget=1)
        retro_id = retro.id
    return Board(retro_id, dm, member, outsider, parity)


def test_a_retro_run_from_the_cli_is_the_apis(board: Board) -> None:
    dm, member = board.dm, board.member
    # Only the facilitator (or the team's delivery manager) moves the phase: the same refusal.
    assert board.cli_refused("advance", member) == board.api_refused("/advance", member, "m")
    assert board.cli("advance", dm, "--token", "d") == board.seen(dm, "d")  # reflect

    # Cards: written anonymously, private to the writer's token while reflecting.
    written = board.cli("add-card", member, "--column", "Stop", "--text", "Long stand-ups", "--token", "m")
    assert written == board.seen(member, "m")
    assert [(c["text"], c["mine"]) for c in written["cards"]] == [("Long stand-ups", True)]
    api_card = board.parity.api.post(
        f"/api/v1/retros/{board.retro_id}/cards", json={"column": "Start", "text": "Pair on reviews"}, headers=board.api(dm, "d")
    )
    assert api_card.status_code == 201, api_card.text
    mine = board.cli("cards", member, "--token", "m")
    assert mine == _page(board.seen(member, "m")["cards"])
    assert [c["text"] for c in mine["items"]] == ["Long stand-ups"]  # the delivery manager's card stays private
    assert board.cli("cards", member) == _page([])  # without the writer's token, not even one's own card
    with board.parity.seed() as session:
        assert [c.author_id for c in session.scalars(select(Card).where(Card.retro_id == board.retro_id))] == [None, None]

    # The same bad card gives the same error, whether the model or the service refuses it.
    for column, text in (("Nope", "x"), ("Stop", " "), ("Stop", "x" * 2001)):
        cli = board.cli_refused("add-card", member, "--column", column, "--text", text, "--token", "m")
        assert cli == board.api_refused("/cards", member, "m", {"column": column, "text": text}), (column, len(text))

    # Group: every card shows, still without an author; a theme groups two of them.
    board.cli("advance", dm)
    shown = board.cli("cards", member, "--token", "m")
    assert shown == _page(board.seen(member, "m")["cards"])
    assert all("author" not in str(key) for card in shown["items"] for key in card)
    card_ids = [str(c["id"]) for c in shown["items"]]
    assert board.cli_refused("vote", member, "--theme", "1") == board.api_refused("/votes", member, "m", {"theme_id": 1})
    grouped = board.cli("add-theme", member, "--title", "Meetings", "--card", card_ids[0], "--card", card_ids[1])
    assert grouped == board.seen(member, "")  # the board without one's own cards marked
    theme_id = grouped["themes"][0]["id"]
    assert board.cli("themes", member, "--limit", "1") == _page(board.seen(member, "")["themes"], limit=1)

    # Vote: one's budget is kept by one's token; counts stay hidden until voting ends.
    board.cli("advance", dm)
    voted = board.cli("vote", member, "--theme", str(theme_id), "--token", "m")
    assert voted == board.seen(member, "m")
    assert (voted["votes_left"], voted["themes"][0]["votes"], voted["themes"][0]["my_votes"]) == (0, None, 1)
    over = board.cli_refused("vote", member, "--theme", str(theme_id), "--token", "m")
    assert over == board.api_refused("/votes", member, "m", {"theme_id": theme_id})
    assert over["message"] == "You have used all 1 of your votes."
    assert board.cli("vote", member, "--theme", str(theme_id), "--take-back", "--token", "m")["votes_left"] == 1

    # Actions: decided in the discuss phase, owned by one of the team's people.
    board.cli("advance", dm)
    assert board.cli("actions", member) == _page([])
    outsider_owner = ("--title", "Shorter stand-ups", "--owner-id", str(board.outsider.id))
    refused = board.cli_refused("add-action", member, *outsider_owner)
    body = {"title": "Shorter stand-ups", "owner_id": board.outsider.id}
    assert refused == board.api_refused("/actions", member, "m", body)
    bad_date = board.cli_refused("add-action", member, "--title", "x", "--due-date", "soon")
    assert bad_date == board.api_refused("/actions", member, "m", {"title": "x", "due_date": "soon"})
    decided = board.cli(
        "add-action", member, "--title", "Shorter stand-ups", "--owner-id", str(member.id), "--due-date", "2026-12-21"
    )
    assert decided == board.seen(member, "")
    listed = board.cli("actions", member)
    assert listed == _page(board.seen(member, "")["actions"])
    assert [(a["title"], a["owner"], a["due_date"]) for a in listed["items"]] == [
        ("Shorter stand-ups", member.name, "2026-12-21")
    ]


def test_someone_of_another_team_is_refused_alike(board: Board) -> None:
    outsider = board.outsider
    api = board.parity.api.get(f"/api/v1/retros/{board.retro_id}", headers=board.api(outsider, "o"))
    assert api.status_code == 403
    for command in ("cards", "themes", "actions", "advance"):
        assert board.cli_refused(command, outsider) == api_error(api), command
    assert board.cli_refused("add-card", outsider, "--column", "Stop", "--text", "Hi") == board.api_refused(
        "/cards", outsider, "o", {"column": "Stop", "text": "Hi"}
    )
    missing = cli_error(board.parity.cli("retros", "cards", "999999", "--as", outsider.email, "--format", "json"))
    assert missing == api_error(board.parity.api.get("/api/v1/retros/999999", headers=board.api(outsider, "o")))


def test_the_export_as_json_is_the_board_the_api_answers(board: Board) -> None:
    dm, member = board.dm, board.member
    board.cli("advance", dm)  # reflect
    board.cli("add-card", member, "--column", "Stop", "--text", "Long stand-ups", "--token", "m")
    exported = board.cli("export", member)
    assert exported == board.seen(member, "")  # without a participant token: no card is one's own
    assert (exported["cards"], exported["hidden_cards"]) == ([], {"Stop": 1})
    markdown = board.parity.cli("retros", "export", str(board.retro_id), "--as", member.email)
    assert markdown.exit_code == 0, markdown.output
    assert markdown.output.startswith("# Sprint 12\n")
    refused = board.cli_refused("export", board.outsider)
    assert refused == api_error(board.parity.api.get(f"/api/v1/retros/{board.retro_id}", headers=board.api(board.outsider, "o")))
    missing = cli_error(board.parity.cli("retros", "export", "999999", "--as", member.email, "--format", "json"))
    assert missing == api_error(board.parity.api.get("/api/v1/retros/999999", headers=board.api(member, "m")))
