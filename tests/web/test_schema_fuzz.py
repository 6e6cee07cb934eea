"""Property-based run of the OpenAPI schema against the app served on 127.0.0.1.

Schemathesis generates requests from the schema; every answer must be free of server errors
and match the schema the app publishes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from tests.factories import join, make_group, make_team, make_user
from tests.live import live_server

TOKEN: dict[str, str] = {}


def _seed(session: Session) -> None:
    group = make_group(session, name="Fuzz Group")
    team = make_team(session, name="Fuzz Team", group=group)
    admin = make_user(session, role=Role.ADMIN, email="fuzz.admin@example.com")
    join(session, team, make_user(session))
    _row, TOKEN["admin"] = accounts.create_token(session=session, actor=admin, name="fuzz")


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    with live_server(tmp_path_factory.mktemp("fuzz") / "fuzz.db", _seed) as url:
        # Generous timeouts: on a loaded 2-core machine building the schema alone has taken 7 s.
        yield schemathesis.openapi.from_url(f"{url}/api/openapi.json", timeout=120)


def test_api_has_no_server_errors_and_keeps_its_schema(api_schema: BaseSchema) -> None:
    # Driven through Hypothesis directly: schemathesis' pytest plugin does not support this pytest.
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 18
    headers = {"Authorization": f"Bearer {TOKEN['admin']}"}
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers=headers, checks=checks, timeout=120)

        check()
