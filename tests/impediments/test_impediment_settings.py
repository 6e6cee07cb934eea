"""Admins edit the taxonomy and the service levels (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments import service
from deliveryops.impediments.models import Level, Severity
from deliveryops.impediments.schemas import ServiceLevelsUpdate, cell
from deliveryops.impediments.settings_pages import add_category, set_service_level, update_category
from tests.factories import login, make_team, make_user


def test_categories_are_added_renamed_and_retired(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    category = add_category(session, actor=admin, name="Compliance", description="Audits and controls")
    assert "Compliance" in [c.name for c in service.categories(session)]
    with pytest.raises(ConflictError) as duplicate:
        add_category(session, actor=admin, name="compliance")
    assert duplicate.value.message == "A category named 'compliance' exists already."
    update_category(session, actor=admin, category_id=category.id, name="Audit", active=False)
    assert "Audit" not in [c.name for c in service.categories(session)]
    assert "Audit" in [c.name for c in service.categories(session, active_only=False)]
    with pytest.raises(PermissionDeniedError):
        add_category(session, actor=make_user(session, role=Role.PRODUCT_OPS), name="Nope")


def test_service_level_changes_what_is_overdue(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    raised = datetime(2026, 6, 1, 9, tzinfo=UTC)  # a Monday
    impediment = service.raise_(
        session=session, actor=None, team_id=make_team(session).id, title="Slow VPN", severity=Severity.HIGH, now=raised
    )
    later = raised + timedelta(days=3)  # Thursday: 3 working days at the team level
    assert service.is_overdue(impediment, service.service_levels(session), now=later) is True  # high: 2 days
    set_service_level(session, actor=admin, level=Level.TEAM, severity=Severity.HIGH, working_days=5)
    assert service.is_overdue(impediment, service.service_levels(session), now=later) is False
    with pytest.raises(ValidationFailedError, match=r"A service level is 1 to 250 working days\."):
        set_service_level(session, actor=admin, level=Level.TEAM, severity=Severity.HIGH, working_days=0)


def test_settings_page_names_a_cell_that_is_not_a_number_and_saves_nothing(client: TestClient, session: Session) -> None:
    make_user(session, email="root@example.com", role=Role.ADMIN)
    csrf = login(client, "root@example.com")
    page = client.get("/admin/impediments")
    assert "Service levels" in page.text
    before = service.service_levels(session)
    table = {f"{level.value}_{severity.value}": str(days + 1) for (level, severity), days in before.items()}

    bad = client.post("/admin/impediments/service-levels", data={"csrf_token": csrf, **table, "team_high": "two"})
    assert bad.status_code == 422
    assert 'id="team_high-error"' in bad.text
    assert "Team, high is a whole number" in bad.text
    assert 'value="two"' in bad.text
    session.expire_all()
    assert service.service_levels(session) == before

    saved = client.post("/admin/impediments/service-levels", data={"csrf_token": csrf, **table})
    assert saved.status_code == 303
    session.expire_all()
    assert service.service_levels(session) == {key: days + 1 for key, days in before.items()}


def test_the_service_level_table_has_a_field_per_level_and_severity() -> None:
    assert set(ServiceLevelsUpdate.model_fields) == {cell(level, severity) for level in Level for severity in Severity}
