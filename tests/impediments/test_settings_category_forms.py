"""The impediment settings' category forms read their input through the form adapter; errors show beside the field."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.impediments.models import Category
from deliveryops.impediments.settings_pages import add_category
from tests.factories import login, make_user


def _admin(client: TestClient, session: Session) -> str:
    make_user(session, email="admin@example.com", role=Role.ADMIN)
    return login(client, "admin@example.com")


def _names(session: Session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(Category.name)))


def test_a_new_category_is_added_and_a_clash_is_shown_beside_the_name(client: TestClient, session: Session) -> None:
    csrf = _admin(client, session)
    before = _names(session)
    added = client.post("/admin/impediments/categories", data={"csrf_token": csrf, "name": "Tooling gaps", "description": "x"})
    assert added.status_code == 303
    assert _names(session) == sorted([*before, "Tooling gaps"])

    again = client.post("/admin/impediments/categories", data={"csrf_token": csrf, "name": "tooling gaps", "description": "y"})
    assert again.status_code == 422
    assert 'id="name-error"' in again.text
    assert "exists already" in again.text
    assert 'value="tooling gaps"' in again.text  # what was typed comes back
    assert _names(session) == sorted([*before, "Tooling gaps"])


def test_a_description_too_long_is_named_and_nothing_is_added(client: TestClient, session: Session) -> None:
    csrf = _admin(client, session)
    before = _names(session)
    response = client.post("/admin/impediments/categories", data={"csrf_token": csrf, "name": "Ok", "description": "d" * 501})
    assert response.status_code == 422
    assert 'id="description-error"' in response.text
    assert _names(session) == before


def test_a_category_is_retired_and_an_empty_name_is_refused(client: TestClient, session: Session) -> None:
    csrf = _admin(client, session)
    category = add_category(session, actor=None, name="Hardware")
    session.commit()
    retired = client.post(f"/admin/impediments/categories/{category.id}", data={"csrf_token": csrf, "name": "Hardware"})
    assert retired.status_code == 303  # the unticked checkbox: no longer offered
    session.expire_all()
    assert session.get(Category, category.id).active is False  # type: ignore[union-attr]

    empty = client.post(f"/admin/impediments/categories/{category.id}", data={"csrf_token": csrf, "name": " ", "active": "on"})
    assert empty.status_code == 422
    assert "Enter a category name." in empty.text
    assert 'id="name-error"' in empty.text
    session.expire_all()
    assert session.get(Category, category.id).name == "Hardware"  # type: ignore[union-attr]


def test_a_category_form_without_its_token_is_refused(client: TestClient, session: Session) -> None:
    _admin(client, session)
    assert client.post("/admin/impediments/categories", data={"name": "No token"}).status_code == 403
