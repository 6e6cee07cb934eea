"""`deliveryops retro-themes --format json` prints the page `GET /api/v1/retro-themes` answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_user
from tests.parity import Parity, cli_json
from tests.retros.test_retro_themes import DAY, held, teams

pytestmark = pytest.mark.slow  # one throwaway database per database kind


def test_retro_themes_json_is_the_apis_page(parity: Parity) -> None:
    with parity.seed() as session:
        alpha, beta, gamma, _delta = teams(session)
        for team, title in ((alpha, "Slow code reviews"), (beta, "Code reviews wait too long"), (gamma, "Code reviews pile up")):
            held(session, team, [title])
        ops = make_user(session, role=Role.PRODUCT_OPS, email="themes.ops@example.com")
    headers = parity.sign_in_api(ops)
    start, end = (DAY - timedelta(days=7)).isoformat(), DAY.isoformat()
    listed = cli_json(parity, "retro-themes", "--start", start, "--end", end, "--format", "json")
    assert listed == parity.api.get(f"/api/v1/retro-themes?start={start}&end={end}", headers=headers).json()
    assert [row["teams"] for row in listed["items"]] == [["Alpha", "Beta", "Gamma"]]
