"""A forecast for nothing (0 items, an epic or a list with nothing unfinished) is refused, naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import ValidationFailedError
from deliveryops.flow import service
from deliveryops.flow.models import Forecast
from tests.factories import make_user, token_headers
from tests.flow.test_flow_service import steady_team

NOW = datetime(2026, 3, 6, 12, tzinfo=UTC)


def test_api_refuses_a_forecast_for_zero_items(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    headers = token_headers(session, make_user(session, role=Role.ADMIN))
    response = client.post(f"/api/v1/teams/{team.id}/forecasts/when", json={"items": 0}, headers=headers)
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == ["items"]
    assert session.scalar(select(func.count()).select_from(Forecast).where(Forecast.team_id == team.id)) == 0


def test_a_list_of_finished_items_is_refused(session: Session) -> None:
    team = steady_team(session)
    with pytest.raises(ValidationFailedError) as refused:
        service.create_when(session=session, actor=None, team_id=team.id, item_keys=["M-1", "M-2"], now=NOW)
    assert refused.value.fields == {"item_keys": "All 2 listed items are finished: there is nothing to forecast."}
    assert session.scalar(select(func.count()).select_from(Forecast).where(Forecast.team_id == team.id)) == 0
