"""Admin page: the impediment taxonomy and the escalation service levels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.impediments.models import Category, Level, ServiceLevel, Severity
from deliveryops.impediments.schemas import CategoryCreate, CategoryUpdate, ServiceLevelsUpdate, cell
from deliveryops.web.form_pages import ShowAgain, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)


def add_category(session: Session, *, actor: User | None, name: str, description: str = "") -> Category:
    """Add a category to the taxonomy (admins)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    name = name.strip()
    if not name:
        raise ValidationFailedError("Enter a category name.", fields={"name": "Enter a category name."})
    if session.scalar(select(Category.id).where(func.lower(Category.name) == name.lower())) is not None:
        raise ConflictError(f"A category named {name!r} exists already.", details={"field": "name"})
    position = (session.scalar(select(func.max(Category.position))) or 0) + 1
    category = Category(name=name[:100], description=description.strip(), position=position, active=True)
    session.add(category)
    session.flush()
    return category


def update_category(session: Session, *, actor: User | None, category_id: int, name: str, active: bool) -> Category:
    """Rename a category or retire it (retired ones stay on past impediments)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    category = session.get(Category, category_id)
    if category is None:
        raise ValidationFailedError(f"No category with id {category_id}.", fields={"category": "unknown"})
    if not name.strip():
        raise ValidationFailedError("Enter a category name.", fields={"name": "Enter a category name."})
    clash = session.scalar(
        select(Category.id).where(func.lower(Category.name) == name.strip().lower(), Category.id != category_id)
    )
    if clash is not None:
        raise ConflictError(f"A category named {name.strip()!r} exists already.", details={"field": "name"})
    category.name, category.active = name.strip()[:100], active
    session.flush()
    return category


def set_service_level(session: Session, *, actor: User | None, level: Level, severity: Severity, working_days: int) -> None:
    """Change how many working days an impediment may stay at a level (admins)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if not 1 <= working_days <= 250:
        raise ValidationFailedError(
            "A service level is 1 to 250 working days.", fields={f"{level.value}-{severity.value}": "1 to 250"}
        )
    row = session.scalar(select(ServiceLevel).where(ServiceLevel.level == level, ServiceLevel.severity == severity))
    if row is None:
        session.add(ServiceLevel(level=level, severity=severity, working_days=working_days))
    else:
        row.working_days = working_days
    session.flush()


def _page(
    request: Request,
    session: SessionDep,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    category_form: tuple[str, dict[str, Any], dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    """The settings page; ``category_form`` is a refused category form: its id ("new" or the category's), what was
    typed and the messages per field."""
    stored = {cell(row.level, row.severity): str(row.working_days) for row in session.scalars(select(ServiceLevel))}
    form_id, category_values, category_errors = category_form or ("", {}, {})
    return render(
        request,
        "impediments/settings.html",
        {
            "categories": list(session.scalars(select(Category).order_by(Category.position, Category.name))),
            "levels": {**stored, **(values or {})},
            "errors": errors or {},
            "level_list": list(Level),
            "severities": list(Severity),
            "error": error,
            "category_form": form_id,
            "category_values": category_values,
            "category_errors": category_errors,
        },
        status_code=status_code,
    )


@router.get("/admin/impediments", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Admin: categories and service levels."""
    require_role(actor, Role.ADMIN)
    return _page(request, session)


def _category_again(request: Request, session: Session, form_id: str) -> ShowAgain:
    """Show the settings page again with a refused category form's input and messages (a clash is the name's)."""

    def again(values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        fields = {("name" if key == "form" else key): message for key, message in errors.items()}
        message = " ".join(dict.fromkeys(errors.values()))
        return _page(request, session, error=message, category_form=(form_id, values, fields), status_code=status)

    return again


@router.post("/admin/impediments/categories", response_class=HTMLResponse)
def add_category_form(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[CategoryCreate], form_model(CategoryCreate)],
) -> Response:
    """Admin: add a category."""
    require_role(actor, Role.ADMIN)
    return submit_form(
        session,
        form,
        lambda body: add_category(session, actor=actor, name=body.name, description=body.description),
        done="/admin/impediments",
        again=_category_again(request, session, "new"),
        conflict_status=422,
    )


@router.post("/admin/impediments/categories/{category_id}", response_class=HTMLResponse)
def update_category_form(
    request: Request,
    category_id: int,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[CategoryUpdate], form_model(CategoryUpdate)],
) -> Response:
    """Admin: rename or retire a category."""
    require_role(actor, Role.ADMIN)
    return submit_form(
        session,
        form,
        lambda body: update_category(session, actor=actor, category_id=category_id, name=body.name, active=body.active),
        done="/admin/impediments",
        again=_category_again(request, session, str(category_id)),
        conflict_status=422,
    )


@router.post("/admin/impediments/service-levels", response_class=HTMLResponse)
def service_levels_form(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ServiceLevelsUpdate], form_model(ServiceLevelsUpdate)],
) -> Response:
    """Admin: save the service-level table; a cell that is not 1 to 250 whole days is named and nothing is saved."""
    require_role(actor, Role.ADMIN)
    try:
        days = form.validated().model_dump()
        for level in Level:
            for severity in Severity:
                set_service_level(session, actor=actor, level=level, severity=severity, working_days=days[cell(level, severity)])
    except ValidationFailedError as exc:
        session.rollback()
        values = {key: str(value) for key, value in form.values.items()}
        return _page(request, session, error=exc.message, errors=form.errors, values=values, status_code=422)
    return RedirectResponse("/admin/impediments", status_code=303)
