"""The leadership pack: web page, PDF download, questions for leadership, and its JSON."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role
from deliveryops.cockpit.leadership import service as leadership
from deliveryops.cockpit.leadership.pdf import render_pdf
from deliveryops.cockpit.leadership.schemas import DecisionUpdate, PackRead, PackScope, QuestionCreate, pack_read
from deliveryops.cockpit.portfolio.service import require_cross_team
from deliveryops.db import utcnow
from deliveryops.errors import ValidationFailedError
from deliveryops.teams.service import get_group_or_raise, list_groups
from deliveryops.web.errors import error_responses
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

__all__ = ["api", "router"]

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["cockpit"], responses=error_responses(401, 403, 404, 422))
GroupQuery = Annotated[str | None, Query(max_length=100, description="The group's slug; empty: the organisation.")]
PeriodQuery = Annotated[str | None, Query(max_length=30, description="2026-Q3, 2026-11 or 2026-07-01..2026-09-30.")]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    *,
    group: str | None,
    period: str | None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    require_cross_team(actor, "The leadership pack")
    period = period or leadership.current_quarter(utcnow().date())
    errors = dict(errors or {})
    pack = None
    try:
        pack = leadership.build_pack(session=session, actor=actor, period=period, group_slug=group or None)
    except ValidationFailedError as exc:
        errors.update(exc.fields)
        status_code = 422
    query = urlencode({"group": group or "", "period": period})
    today = utcnow().date()
    leads = [panel for lead in leadership.PACK_LEADS if (panel := lead(session, actor, today, group or "", period)) is not None]
    return render(
        request,
        "cockpit/leadership.html",
        {
            "pack": pack,
            "groups": list_groups(session=session, actor=actor),
            "group_slug": group or "",
            "period": period,
            "errors": errors,
            "values": values or {},
            "query": query,
            "cockpit_tab": "leadership",
            "can_ask": actor.role in (Role.PRODUCT_OPS, Role.ADMIN),
            "notice": notice,
            "leads": leads,
        },
        status_code=status_code,
    )


@router.get("/cockpit/leadership", response_class=HTMLResponse)
def leadership_page(
    request: Request, session: SessionDep, actor: PageUser, group: GroupQuery = None, period: PeriodQuery = None
) -> Response:
    """The leadership pack for a period and a group or the whole organisation."""
    return _page(request, session, actor, group=group, period=period)


@router.get("/cockpit/leadership.pdf")
def leadership_pdf(
    request: Request, session: SessionDep, actor: PageUser, group: GroupQuery = None, period: PeriodQuery = None
) -> Response:
    """The leadership pack as a PDF file."""
    period = period or leadership.current_quarter(utcnow().date())
    pack = leadership.build_pack(session=session, actor=actor, period=period, group_slug=group or None)
    sections = leadership.pack_sections(
        session, actor, today=utcnow().date(), group_slug=pack.group.slug if pack.group else None, period=pack.period.label
    )
    name = f"leadership-{pack.group.slug if pack.group else 'organisation'}-{pack.period.label}.pdf".replace("..", "_")
    return Response(
        render_pdf(pack, base_url=str(request.app.state.settings.public_url), sections=sections),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _typed(form: FormInput[Any], key: str) -> str:
    """What was typed in a field of a refused form ("" when nothing)."""
    value = form.values.get(key)
    return value if isinstance(value, str) else ""


@router.post("/cockpit/leadership/epics/commit", response_class=HTMLResponse)
def commit_epics(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[PackScope], form_model(PackScope)],
) -> Response:
    """Put the pack's epic dates in the pack as commitments (stored and scored). Twice changes nothing."""
    require_cross_team(actor, "The leadership pack")
    group, period = _typed(form, "group"), _typed(form, "period")
    try:
        body = form.validated()
        count = leadership.commit_pack_epics(session=session, actor=actor, period=body.period, group_slug=body.group or None)
    except ValidationFailedError as exc:
        return _page(request, session, actor, group=group, period=period, errors=exc.fields, status_code=422)
    return _page(
        request,
        session,
        actor,
        group=group,
        period=period,
        notice=f"{count} epic forecasts are in the pack as commitments: each is scored when its date has passed.",
    )


@router.post("/cockpit/leadership/questions", response_class=HTMLResponse)
def add_question(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[QuestionCreate], form_model(QuestionCreate)],
) -> Response:
    """Product Ops adds a question for leadership to the pack."""
    require_cross_team(actor, "The leadership pack")
    group, period = _typed(form, "group"), _typed(form, "period")
    try:
        body = form.validated()
        group_row = get_group_or_raise(session=session, actor=actor, slug=body.group) if body.group else None
        leadership.add_question(
            session=session,
            actor=actor,
            period=body.period,
            text=body.text,
            context=body.context,
            group_id=group_row.id if group_row else None,
        )
    except ValidationFailedError as exc:
        return _page(
            request, session, actor, group=group, period=period or None, errors=exc.fields, values=form.values, status_code=422
        )
    return RedirectResponse(f"/cockpit/leadership?{urlencode({'group': group, 'period': period})}#questions", status_code=303)


@router.post("/cockpit/leadership/questions/{question_id}/decide", response_class=HTMLResponse)
def decide_question(
    question_id: IdPath,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[DecisionUpdate], form_model(DecisionUpdate)],
) -> Response:
    """Record leadership's decision on a question."""
    require_cross_team(actor, "The leadership pack")
    body = form.validated()
    question = leadership.decide_question(session=session, actor=actor, question_id=question_id, decision=body.decision)
    group = get_group_or_raise(session=session, actor=actor, group_id=question.group_id) if question.group_id else None
    query = urlencode({"group": group.slug if group else "", "period": question.period})
    return RedirectResponse(f"/cockpit/leadership?{query}#questions", status_code=303)


@api.get("/cockpit/leadership", response_model=PackRead)
def read_pack(session: SessionDep, actor: ApiUser, group: GroupQuery = None, period: PeriodQuery = None) -> Any:
    """The leadership pack as JSON (Product Ops, leaders, admins)."""
    today = utcnow().date()
    pack = leadership.build_pack(
        session=session, actor=actor, period=period or leadership.current_quarter(today), group_slug=group or None
    )
    return pack_read(
        pack,
        leadership.pack_sections(
            session, actor, today=today, group_slug=pack.group.slug if pack.group else None, period=pack.period.label
        ),
    )
