"""Property-based run of the OpenAPI schema against the app served on 127.0.0.1, one group of operations at a time.

Schemathesis generates requests from the schema; every answer must be free of server errors and match the schema the
app publishes. The operations are split into groups by the first part of their path, one test module per group, so
that test workers share the run; the last group takes every operation no other group names, so a new API is always
fuzzed.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from tests.factories import join, make_group, make_team, make_user
from tests.live import live_server

EXAMPLES = 25  # per operation

# The first part of the path after /api/v1/ of the operations each group fuzzes.
GROUPS: dict[str, frozenset[str]] = {
    "teams": frozenset({"teams", "me", "users", "tokens"}),
    "rituals": frozenset(
        {"cockpit", "retros", "multi-retros", "retro-themes", "sessions", "health", "coaching", "onboarding", "digest"}
    ),
    "improvement": frozenset(
        {
            "experiments",
            "impediments",
            "impediment-clusters",
            "impediment-synonyms",
            "actions",
            "org-actions",
            "playbooks",
            "communities",
            "objectives",
            "key-results",
            "kpi-series",
            "decision-briefs",
        }
    ),
}
REST = "rest"  # every operation of no group above (dependencies, groups, connections, webhooks, jobs, DORA, ...)


def group_of(path: str) -> str:
    """The group that fuzzes the operations of ``path`` (``/api/v1/teams/{slug}`` is in "teams")."""
    parts = path.strip("/").split("/")
    first = parts[2] if parts[:2] == ["api", "v1"] and len(parts) > 2 else path
    return next((name for name, firsts in GROUPS.items() if first in firsts), REST)


def _seed(session: Session) -> str:
    group = make_group(session, name="Fuzz Group")
    team = make_team(session, name="Fuzz Team", group=group)
    admin = make_user(session, role=Role.ADMIN, email="fuzz.admin@example.com")
    join(session, team, make_user(session))
    _row, token = accounts.create_token(session=session, actor=admin, name="fuzz")
    return token


def fuzz(group: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fuzz every operation of ``group`` with EXAMPLES generated requests each, on a server of its own."""
    tokens: list[str] = []
    database = tmp_path_factory.mktemp(f"fuzz-{group}") / "fuzz.db"
    with live_server(database, lambda session: tokens.append(_seed(session))) as url:
        # Generous timeouts: on a loaded 2-core machine building the schema alone has taken 7 s.
        schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json", timeout=120)
        # Driven through Hypothesis directly: schemathesis' pytest plugin does not support this pytest.
        everything = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(everything) >= 18
        operations = [operation for operation in everything if group_of(operation.path) == group]
        assert operations, f"no operation in the group {group!r}"
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.explicit, Phase.generate],
            )
            def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
                case.call_and_validate(headers=headers, checks=checks, timeout=120)

            check()
