"""The helpers every use case shares: pages of lists, one pagination dependency, and one wording of
validation errors for the API, the pages and the CLI."""

from __future__ import annotations

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deliveryops.cli.common import build, friendly_errors
from deliveryops.cli.output import Column, FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_page
from deliveryops.db import fetch_page
from deliveryops.errors import field_label, validation_failed
from deliveryops.schemas import Page, PageParams, paginate
from deliveryops.teams.models import Team
from deliveryops.web.errors import install_error_handlers
from deliveryops.web.pagination import Pagination
from tests.factories import make_team


class Row(BaseModel):
    """A row of a list in a body."""

    model_config = ConfigDict(title="Variation")

    name: str = Field(min_length=1, max_length=10)


class Body(BaseModel):
    """A body with a titled field, rows and a plain field."""

    size: int = Field(ge=1, title="Planned sample size")
    rows: list[Row] = Field(default_factory=list)
    due_date: str | None = None


def test_paginate_cuts_one_page_and_counts_the_whole_list() -> None:
    letters = list("abcdefg")
    assert paginate(letters, PageParams(limit=3, offset=2)) == Page[str](items=["c", "d", "e"], total=7, limit=3, offset=2)
    assert paginate(letters, PageParams(limit=3, offset=9)).items == []
    assert paginate(letters, PageParams()).model_dump() == {"items": letters, "total": 7, "limit": 100, "offset": 0}
    assert paginate(letters, PageParams(limit=2)).map(str.upper).items == ["A", "B"]


def test_fetch_page_pages_a_query_in_the_database(session: Session) -> None:
    names = [make_team(session, name=f"Paged {n}").name for n in (3, 1, 2, 4)]
    statement = select(Team).where(Team.name.in_(names)).order_by(Team.name)
    rows, total = fetch_page(session, statement, limit=2, offset=1)
    assert ([team.name for team in rows], total) == (["Paged 2", "Paged 3"], 4)
    assert fetch_page(session, statement, limit=5, offset=4) == ([], 4)


def test_labels_name_the_field_a_row_and_a_titled_field() -> None:
    assert field_label(Body, ("size",)) == "Planned sample size"
    assert field_label(Body, ("rows", 1, "name")) == "Variation 2's name"
    assert field_label(Body, ("due_date",)) == "Due date"
    assert field_label(None, ("tags", 3)) == "Tags row 4"
    assert field_label(None, ("limit",)) == "Limit"


@pytest.fixture
def api() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/things")
    def create(body: Body) -> Body:
        return body

    @app.get("/api/things")
    def things(page: Pagination) -> Page[str]:
        return paginate([f"thing {n}" for n in range(1, 6)], page)

    return TestClient(app)


def test_the_api_names_fields_as_the_pages_do(api: TestClient) -> None:
    bad = {"size": "lots", "rows": [{"name": "ok"}, {"name": ""}]}
    response = api.post("/api/things", json=bad)
    assert response.status_code == 422
    expected = {
        "size": "Planned sample size is a whole number, e.g. 12000; got 'lots'.",
        "rows.1.name": "Variation 2's name is required.",
    }
    assert response.json() == {
        "error": {"code": "validation_failed", "message": " ".join(expected.values()), "details": {"fields": expected}}
    }
    with pytest.raises(ValidationError) as raised:
        Body.model_validate(bad)
    assert validation_failed(raised.value.errors(), Body).fields == expected


def test_every_list_endpoint_takes_the_same_page_parameters(api: TestClient) -> None:
    assert api.get("/api/things?limit=2&offset=3").json() == {
        "items": ["thing 4", "thing 5"],
        "total": 5,
        "limit": 2,
        "offset": 3,
    }
    too_many = api.get("/api/things?limit=5000&offset=-1").json()["error"]
    assert too_many["details"]["fields"] == {"limit": "Limit must be at most 1,000.", "offset": "Offset must be at least 0."}


cli = typer.Typer()


@cli.command()
@friendly_errors
def things(output_format: FormatOption = OutputFormat.TABLE, limit: LimitOption = 2, offset: OffsetOption = 0) -> None:
    """List things."""
    page = paginate([Row(name=f"thing {n}") for n in range(1, 6)], page_params(limit, offset))
    print_page(page, [Column("Name", lambda row: row.name)], output_format, empty="No things yet.")


@cli.command()
@friendly_errors
def create(size: str, output_format: FormatOption = OutputFormat.TABLE) -> None:
    """Create a thing."""
    build(Body, size=size)


def test_the_cli_prints_a_page_as_a_table_or_as_the_apis_json() -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["things", "--offset", "1"])
    assert table.exit_code == 0, table.output
    assert "thing 2" in table.output
    assert "thing 4" not in table.output
    assert "2–3 of 5; --offset and --limit show others." in table.output
    as_json = runner.invoke(cli, ["things", "--format", "json", "--limit", "1"])
    assert Page[Row].model_validate_json(as_json.output) == Page[Row](items=[Row(name="thing 1")], total=5, limit=1, offset=0)
    beyond = runner.invoke(cli, ["things", "--offset", "7"])
    assert "Nothing after the first 7: the list has 5." in beyond.output


def test_the_cli_gives_the_apis_error() -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["create", "lots"])
    assert bad.exit_code == 1
    assert "Error: Planned sample size is a whole number, e.g. 12000; got 'lots'." in " ".join(bad.output.split())
    as_json = runner.invoke(cli, ["create", "0", "--format", "json"])
    assert as_json.exit_code == 1
    assert as_json.output.strip().startswith("{")
    assert '"message": "Planned sample size must be at least 1."' in as_json.output
