"""``find_team`` reads a team id from ASCII digits within the 32-bit ids only (issue 17)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deliveryops.errors import NotFoundError
from deliveryops.teams.service import find_team
from tests.factories import make_team


def test_a_team_is_found_by_name_slug_or_id(session: Session) -> None:
    team = make_team(session, name="Payments")
    assert find_team(session, "Payments").id == team.id
    assert find_team(session, team.slug).id == team.id
    assert find_team(session, str(team.id)).id == team.id
    assert find_team(session, f"00{team.id}").id == team.id


@pytest.mark.parametrize("name", ["\u00b2", "\u0661", str(2**31), "9" * 40, "+1", " 1"])
def test_text_that_is_no_32_bit_id_names_no_team(session: Session, name: str) -> None:
    make_team(session, name="Payments")
    with pytest.raises(NotFoundError):
        find_team(session, name)
