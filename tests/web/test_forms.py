"""The form adapter: a page's form read into a domain's schema, with messages beside each field.

A small model stands for a domain's ``<Thing>Create``: repeated rows with a radio button, checkboxes,
numbers with separators, a percentage, dates, optional fields and lists. The last tests run the adapter
inside a real app to check that it refuses a form without its CSRF token and re-renders with the input.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.middleware.sessions import SessionMiddleware

from deliveryops.errors import ValidationFailedError
from deliveryops.schemas import FormScale
from deliveryops.web.errors import install_error_handlers
from deliveryops.web.forms import FormInput, form_model, form_values, read_form
from deliveryops.web.security import csrf_token


class Arm(BaseModel):
    """One row of the repeated rows."""

    model_config = ConfigDict(title="Arm")

    name: str = Field(min_length=1, max_length=20)
    weight: float = Field(default=1.0, gt=0)
    is_control: bool = False


class Plan(BaseModel):
    """What a form might register."""

    title: str = Field(max_length=40)
    arms: list[Arm] = Field(default_factory=list, max_length=4)
    sample_size: int | None = Field(default=None, ge=1, title="Planned sample size")
    share: Annotated[float | None, FormScale(100)] = Field(default=None, gt=0, le=1, title="Traffic share")
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    starts_on: date | None = None
    kind: Literal["mean", "proportion"] = "proportion"
    cuped: bool = False
    tags: list[str] = Field(default_factory=list)
    note: str = ""

    @field_validator("arms")
    @classmethod
    def _one_control(cls, arms: list[Arm]) -> list[Arm]:
        if arms and sum(arm.is_control for arm in arms) != 1:
            raise ValueError("Mark exactly one arm as the control.")
        return arms


def pairs(**fields: str | list[str]) -> list[tuple[str, str]]:
    """Form pairs; a list repeats the name. Dots in names are written as double underscores."""
    result: list[tuple[str, str]] = []
    for name, value in fields.items():
        key = name.replace("__", ".").replace(".star.", ".*.")
        result += [(key, v) for v in (value if isinstance(value, list) else [value])]
    return result


def test_a_valid_form_becomes_the_model() -> None:
    form = read_form(
        pairs(
            csrf_token="x",
            title="Checkout",
            arms__0__name="control",
            arms__1__name="one-page",
            arms__1__weight="2,5",
            arms__2__name="",
            arms__2__weight="1",
            arms__star__is_control="0",
            sample_size="12 000",
            share="25%",
            alpha="0,01",
            starts_on="2026-03-31",
            kind="mean",
            cuped="on",
            tags=["growth", "checkout"],
        ),
        Plan,
    )
    assert form.errors == {}
    assert form.validated() == Plan(
        title="Checkout",
        arms=[Arm(name="control", is_control=True), Arm(name="one-page", weight=2.5)],
        sample_size=12000,
        share=0.25,
        alpha=0.01,
        starts_on=date(2026, 3, 31),
        kind="mean",
        cuped=True,
        tags=["growth", "checkout"],
    )
    assert form.values["arms"] == [
        {"name": "control", "is_control": True},
        {"name": "one-page", "weight": "2,5", "is_control": False},
    ]
    assert (form.values["sample_size"], form.values["share"], form.values["cuped"]) == ("12 000", "25%", True)


def test_empty_text_is_none_or_the_default_and_absent_checkboxes_are_false() -> None:
    form = read_form(pairs(title="", sample_size="", share="", alpha="", starts_on="", note=""), Plan)
    assert form.validated() == Plan(title="", sample_size=None, share=None, alpha=0.05, starts_on=None, cuped=False)


def test_bad_input_names_each_field_and_keeps_what_was_typed() -> None:
    form = read_form(
        pairs(
            title="x" * 41,
            arms__0__name="control",
            arms__0__weight="0",
            arms__1__name="",
            arms__1__weight="2",
            arms__star__is_control="1",
            sample_size="lots",
            share="150",
            alpha="0.05.1",
            starts_on="31/03/2026",
            kind="median",
            cuped="maybe",
        ),
        Plan,
    )
    assert form.model is None
    assert form.errors == {
        "title": "Title has at most 40 characters.",
        "arms.0.weight": "Arm 1's weight must be above 0.",
        "arms.1.name": "Arm 2's name is required.",
        "sample_size": "Planned sample size is a whole number, e.g. 12000; got 'lots'.",
        "share": "Traffic share must be at most 1.",
        "alpha": "Alpha is a number, e.g. 2.5; got '0.05.1'.",
        "starts_on": "Starts on: expected a date like 2026-03-31, got '31/03/2026'.",
        "kind": "Kind: choose 'mean' or 'proportion'; got 'median'.",
        "cuped": "Cuped is yes or no; got 'maybe'.",
    }
    assert form.values["title"] == "x" * 41
    assert form.values["arms"][1] == {"name": "", "weight": "2", "is_control": True}
    assert form.values["sample_size"] == "lots"
    with pytest.raises(ValidationFailedError) as raised:
        form.validated()
    assert raised.value.fields == form.errors
    assert raised.value.message.startswith("Title has at most 40 characters. Arm 1's weight must be above 0.")


def test_a_rule_over_the_rows_is_reported_on_the_rows() -> None:
    form = read_form(pairs(title="T", arms__0__name="a", arms__1__name="b"), Plan)
    assert form.errors == {"arms": "Mark exactly one arm as the control."}


def test_spare_rows_are_left_out_and_rows_keep_their_order() -> None:
    form = read_form(
        pairs(
            title="T",
            arms__10__name="late",
            arms__2__name="early",
            arms__3__name="",
            arms__3__weight="1",
            arms__star__is_control="2",
        ),
        Plan,
    )
    assert [(arm.name, arm.is_control) for arm in form.validated().arms] == [("early", True), ("late", False)]


def test_a_get_form_keeps_defaults_for_what_is_absent() -> None:
    nothing = read_form([], Plan, whole_form=False)
    assert (nothing.submitted, nothing.errors["title"]) == (False, "Title is required.")
    searched = read_form([("title", "T"), ("page", "2")], Plan, whole_form=False)
    assert searched.submitted
    assert searched.validated().cuped is False


def test_form_values_show_a_model_as_its_form_does() -> None:
    plan = Plan(
        title="T",
        arms=[Arm(name="a", is_control=True), Arm(name="b", weight=2.5)],
        share=0.25,
        starts_on=date(2026, 3, 31),
        tags=["x", "y"],
    )
    assert form_values(plan) == {
        "title": "T",
        "arms": [
            {"name": "a", "weight": "1", "is_control": True},
            {"name": "b", "weight": "2.5", "is_control": False},
        ],
        "sample_size": "",
        "share": "25",
        "alpha": "0.05",
        "starts_on": "2026-03-31",
        "kind": "proportion",
        "cuped": False,
        "tags": "x, y",
        "note": "",
    }


def test_errors_with_adds_what_the_service_refused() -> None:
    form = read_form(pairs(title="T"), Plan)
    refused = ValidationFailedError("Nope.", fields={"title": "Taken."})
    assert form.errors_with(refused) == {"title": "Taken."}
    assert form.errors_with(ValidationFailedError("Not now.")) == {"form": "Not now."}


PlanForm = Annotated[FormInput[Plan], form_model(Plan)]


@pytest.fixture
def plan_client() -> TestClient:
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key="s" * 32)
    install_error_handlers(app)

    @app.get("/token")
    def token(request: Request) -> dict[str, str]:
        return {"csrf": csrf_token(request)}

    @app.post("/plans")
    def create(form: PlanForm) -> Response:
        if not form.valid:
            return JSONResponse({"errors": form.errors, "values": form.values}, status_code=422)
        return JSONResponse(form.validated().model_dump(mode="json"), status_code=201)

    @app.get("/plans")
    def search(form: PlanForm) -> Response:
        return JSONResponse({"submitted": form.submitted, "errors": form.errors})

    return TestClient(app)


def test_the_dependency_checks_the_csrf_token(plan_client: TestClient) -> None:
    refused = plan_client.post("/plans", data={"title": "T"})
    assert refused.status_code == 403
    assert "The form expired or came from another site (CSRF check failed)." in refused.text
    token = plan_client.get("/token").json()["csrf"]
    created = plan_client.post("/plans", data={"title": "T", "sample_size": "2,500", "csrf_token": token})
    assert created.status_code == 201
    assert created.json()["sample_size"] == 2500


def test_the_dependency_gives_the_route_the_messages(plan_client: TestClient) -> None:
    token = plan_client.get("/token").json()["csrf"]
    bad = plan_client.post("/plans", data={"title": "T", "sample_size": "0", "csrf_token": token})
    assert bad.status_code == 422
    assert bad.json() == {
        "errors": {"sample_size": "Planned sample size must be at least 1."},
        "values": {"title": "T", "sample_size": "0", "cuped": False},
    }


def test_a_get_form_reads_the_query_string_without_a_token(plan_client: TestClient) -> None:
    assert plan_client.get("/plans").json() == {"submitted": False, "errors": {"title": "Title is required."}}
    assert plan_client.get("/plans?title=T&sample_size=x").json() == {
        "submitted": True,
        "errors": {"sample_size": "Planned sample size is a whole number, e.g. 12000; got 'x'."},
    }


class Goal(BaseModel):
    """A row whose yes/no choice is a select defaulting to true."""

    name: str
    higher_is_better: bool = True


class Goals(BaseModel):
    """Rows of goals."""

    goals: list[Goal] = Field(default_factory=list)


def test_a_spare_row_left_at_its_defaults_is_dropped_and_a_changed_choice_keeps_it() -> None:
    spare = read_form(
        pairs(
            goals__0__name="conversion", goals__0__higher_is_better="false", goals__1__name="", goals__1__higher_is_better="true"
        ),
        Goals,
    )
    assert spare.validated() == Goals(goals=[Goal(name="conversion", higher_is_better=False)])
    changed = read_form(pairs(goals__0__name="", goals__0__higher_is_better="false"), Goals)
    assert changed.validated() == Goals(goals=[Goal(name="", higher_is_better=False)])  # kept: the model decides
