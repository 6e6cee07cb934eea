"""HTML pages: the people admin, where an admin adds a person, optionally straight into a team.

It lives with teams, which sit above accounts, because adding a person can put them in a team.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts import service
from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role
from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.teams import service as teams
from deliveryops.teams.schemas import PersonAccess, PersonCreate
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)

register_nav("Admin", "/admin/people", order=90, visible=lambda u: u.role is Role.ADMIN)


def _people_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    *,
    errors: dict[str, str],
    values: dict[str, str],
    message: str | None,
    status_code: int = 200,
) -> Response:
    people = service.list_(session=session, actor=actor, query=request.query_params.get("q", ""))
    return render(
        request,
        "accounts/people.html",
        {
            "people": people,
            "roles": list(Role),
            "errors": errors,
            "values": values,
            "message": message,
            "teams": teams.list_teams(session=session, actor=actor),
            "q": request.query_params.get("q", ""),
        },
        status_code=status_code,
    )


@router.get("/admin/people", response_class=HTMLResponse)
def people_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Admin: everyone, with a form to add a person."""
    return _people_page(request, session, actor, errors={}, values={}, message=None)


@router.post("/admin/people", response_class=HTMLResponse)
def create_person(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[PersonCreate], form_model(PersonCreate)],
) -> Response:
    """Admin: add a person, optionally straight into a team."""
    service.require_role(actor, Role.ADMIN)  # who may not add people is refused before the input is judged
    values = {key: value for key, value in form.values.items() if key != "password"}
    try:
        body = form.validated()
        user = service.create(
            session=session, actor=actor, email=body.email, name=body.name, role=body.role, password=body.password or None
        )
        if body.team_id is not None:
            teams.add_member(session=session, actor=actor, team_id=body.team_id, user_id=user.id)
    except ValidationFailedError as exc:
        session.rollback()
        return _people_page(request, session, actor, errors=exc.fields, values=values, message=None, status_code=422)
    except ConflictError as exc:
        session.rollback()
        return _people_page(request, session, actor, errors={"email": exc.message}, values=values, message=None, status_code=409)
    return RedirectResponse("/admin/people?added=" + str(user.id), status_code=303)


@router.post("/admin/people/{user_id}", response_class=HTMLResponse)
def update_person(
    request: Request,
    user_id: int,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[PersonAccess], form_model(PersonAccess)],
) -> Response:
    """Admin: change a person's role or access."""
    try:
        service.update(session=session, actor=actor, user_id=user_id, **form.validated().model_dump())
    except ValidationFailedError as exc:
        session.rollback()
        return _people_page(request, session, actor, errors={}, values={}, message=exc.message, status_code=422)
    return RedirectResponse("/admin/people", status_code=303)
