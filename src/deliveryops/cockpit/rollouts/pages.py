"""HTML pages: rollouts of a tool or practice across teams (list and plan, one rollout's progress and effect),
and the admin-defined check of a catalogue entry.

Product Ops, leaders and admins read rollouts; Product Ops and admins plan them and define checks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import User
from deliveryops.charts import page_figure
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.catalogue.schemas import CustomCheckWrite
from deliveryops.cockpit.models import Signal
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.cockpit.rollouts import stored as rollout_stored
from deliveryops.cockpit.rollouts.charts import curve_figure
from deliveryops.cockpit.rollouts.schemas import RolloutCreate, create_from, read_of
from deliveryops.errors import ValidationFailedError
from deliveryops.teams.service import list_teams
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
CreateForm = Annotated[FormInput[RolloutCreate], form_model(RolloutCreate)]
CheckForm = Annotated[FormInput[CustomCheckWrite], form_model(CustomCheckWrite)]
SPARE_ROWS = 8


def _list_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    rows = rollouts.list_rollouts(session=session)
    return render(
        request,
        "cockpit/rollout_list.html",
        {
            "rollouts": [read_of(session, r) for r in rows],
            "can_plan": catalogue.can_edit(actor),
            "entries": catalogue.list_entries(session=session, active_only=True),
            "teams": list_teams(session=session, actor=actor),
            "people": list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name))),
            "metrics": rollouts.FLOW_METRICS,
            "values": values,
            "errors": errors,
            "spare_rows": SPARE_ROWS,
        },
        status_code=status,
    )


@router.get("/cockpit/rollouts", response_class=HTMLResponse)
def rollouts_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Rollouts of tools and practices, and the form to plan one."""
    rollouts.require_reader(actor)
    return _list_page(request, session, actor, {"metric": "throughput"}, {}, 200)


@router.post("/cockpit/rollouts", response_class=HTMLResponse)
def create_rollout(request: Request, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Plan a rollout (Product Ops and admins); errors re-render beside each field."""
    catalogue.require_editor(actor)
    try:
        rollout = create_from(session, actor, form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        return _list_page(request, session, actor, form.values, form.errors_with(exc), 422)
    return RedirectResponse(f"/cockpit/rollouts/{rollout.id}", status_code=303)


@router.get("/cockpit/rollouts/{rollout_id}", response_class=HTMLResponse)
def rollout_page(request: Request, rollout_id: IdPath, session: SessionDep, actor: PageUser) -> Response:
    """One rollout: each team against its target, the adoption curve, and the effect on its outcome."""
    rollouts.require_reader(actor)
    rollout = rollouts.get_rollout_or_raise(session=session, rollout_id=rollout_id)
    result = rollout_stored.read(session, rollout).detail
    owner = session.get(User, rollout.owner_id) if rollout.owner_id else None
    return render(
        request,
        "cockpit/rollout_detail.html",
        {
            "result": result,
            "owner": owner,
            "metric": next(m for m in rollouts.FLOW_METRICS if m.value == rollout.metric),
            "figure": page_figure("rollout-curve", curve_figure(result), definition="/definitions#rollout-adoption-curve"),
        },
    )


@router.post("/cockpit/catalogue/{entry_id}/custom-check", response_class=HTMLResponse)
def define_check(request: Request, entry_id: IdPath, session: SessionDep, actor: PageUser, form: CheckForm) -> Response:
    """Define the entry's check from a signal, a threshold and a window (Product Ops and admins)."""
    catalogue.require_editor(actor)
    entry = catalogue.get_or_raise(session=session, entry_id=entry_id)
    try:
        body = form.validated()
        catalogue.set_custom_check(
            session=session,
            actor=actor,
            entry_id=entry.id,
            signal=body.signal.value,
            threshold=body.threshold,
            window_days=body.window_days,
        )
    except ValidationFailedError as exc:
        session.rollback()
        return render(
            request,
            "cockpit/custom_check.html",
            {"entry": entry, "signals": list(Signal), "values": form.values, "errors": form.errors_with(exc)},
            status_code=422,
        )
    return RedirectResponse(f"/cockpit/catalogue/{entry.id}#h-custom", status_code=303)
