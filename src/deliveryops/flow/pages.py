"""HTML pages: the team flow page, chart CSV downloads, and the forecast page."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from deliveryops.accounts.dependencies import PageUser
from deliveryops.analytics.allocation import RULE_TEXT, Allocation
from deliveryops.analytics.forecast import HowManyForecast, WhenForecast
from deliveryops.charts import page_figure
from deliveryops.errors import NotFoundError, ValidationFailedError
from deliveryops.flow import charts, service
from deliveryops.flow.data import load_team_data
from deliveryops.flow.models import Forecast
from deliveryops.flow.schemas import FlowPageQuery, ForecastForm
from deliveryops.teams.service import get_team_or_raise, list_teams
from deliveryops.web.csv_export import SafeCsvWriter
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("Flow", "/flow", order=12)

SMALL_SAMPLE = 10


@router.get("/flow", response_class=HTMLResponse)
def flow_index(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Pick a team to see its flow."""
    return render(request, "flow/index.html", {"teams": list_teams(session=session, actor=actor)})


@router.get("/teams/{slug}/flow", response_class=HTMLResponse)
def flow_page(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[FlowPageQuery], form_model(FlowPageQuery)],
) -> Response:
    """The team's flow: cycle time, throughput, WIP, aging, CFD, efficiency, blockers, Little's Law."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    errors = dict(form.errors)
    asked = form.model or FlowPageQuery()
    start_date, end_date, types, freq, sle_days = asked.start, asked.end, asked.types, asked.freq, asked.sle
    sle = str(form.values.get("sle") or "")
    data = load_team_data(session, team)
    context: dict[str, Any] = {
        "team": team,
        "errors": errors,
        "all_types": data.item_types,
        "has_data": not data.transitions.is_empty(),
        "freq": freq,
        "sle_input": sle or "",
        "unmapped": not data.workflow,
    }
    if errors or not data.transitions.is_empty():
        try:
            _team, query, summary, _data = service.team_flow(
                session=session,
                actor=actor,
                team_id=team.id,
                start=start_date,
                end=end_date,
                types=types,
                freq=freq,
                sle_days=sle_days,
            )
        except ValidationFailedError as exc:
            errors.update(exc.fields)
            return render(request, "flow/team.html", {**context, "summary": None, "query": None}, status_code=422)
        if errors:
            return render(request, "flow/team.html", {**context, "summary": None, "query": query}, status_code=422)
        service.score_forecasts(session, team)
        context.update(
            summary=summary,
            query=query,
            small_sample=summary.cycle_times.height < SMALL_SAMPLE,
            figures=charts.page_figures(summary, query.freq),
            calibration=service.calibration(session, team),
            query_string=request.url.query,
            current_wip=_current_wip(summary),
            blocked_days=dict(summary.blocked_time.select("item_id", "blocked_days").iter_rows()),
            weekly_throughput=_weekly_throughput(summary, query.start, query.end),
        )
        return render(request, "flow/team.html", context)
    return render(request, "flow/team.html", {**context, "summary": None, "query": None})


def _current_wip(summary: Any) -> int:
    wip = summary.wip
    return int(wip["wip"][-1]) if wip.height else 0


def _weekly_throughput(summary: Any, start: date, end: date) -> float:
    days = (end - start).days + 1
    return round(summary.cycle_times.height / days * 7, 1) if days else 0.0


@router.get("/teams/{slug}/flow/{chart}.csv")
def chart_csv(
    slug: str,
    chart: str,
    session: SessionDep,
    actor: PageUser,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    types: Annotated[list[str] | None, Query(max_length=50)] = None,
    freq: Literal["day", "week"] = "week",
) -> Response:
    """The data behind one chart, as CSV."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if chart not in {c.name for c in charts.FLOW_CHARTS}:
        raise ValidationFailedError(f"No chart named {chart!r}.", fields={"chart": "unknown"})
    _team, _query, summary, _data = service.team_flow(
        session=session, actor=actor, team_id=team.id, start=start, end=end, types=types, freq=freq
    )
    header, rows = charts.csv_rows(summary, chart)
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in row] for row in rows])
    filename = f"{team.slug}-{chart}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _forecast_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    slug: str,
    *,
    result: WhenForecast | HowManyForecast | None = None,
    row: Forecast | None = None,
    items_result: Any = None,
    epics_result: list[Forecast] | None = None,
    allocation: Allocation | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    data = load_team_data(session, team)
    service.score_forecasts(session, team)
    report = service.calibration(session, team)
    today = service.today_in(team)
    epics = data.items.filter(data.items["item_type"] == "Epic").sort("key")
    figure = None
    if isinstance(result, WhenForecast):
        figure = page_figure("forecast", charts.forecast_when_chart(result))
    elif isinstance(result, HowManyForecast):
        figure = page_figure("forecast", charts.forecast_how_many_chart(result))
    return render(
        request,
        "flow/forecasts.html",
        {
            "team": team,
            "result": result,
            "row": row,
            "on_calendar": service.calendar_forecast(session, team, row) if row is not None and result is not None else None,
            "figure": figure,
            "items_result": items_result,
            "epics_result": epics_result,
            "allocation": allocation,
            "allocation_text": RULE_TEXT[allocation] if allocation else "",
            "calibration": report,
            "calibration_figure": page_figure("calibration", charts.calibration_chart(report)),
            "forecasts": (forecasts := service.list_forecasts(session=session, actor=actor, team_id=team.id, limit=30)),
            "held": {f.id: service.held_85(f, today) for f in forecasts},
            "errors": errors or {},
            "values": values or {},
            "today": today,
            "default_by": (today + timedelta(days=28)).isoformat(),
            "has_data": not data.transitions.is_empty(),
            "epics": [(row_["key"], row_["title"]) for row_ in epics.iter_rows(named=True)],
        },
        status_code=status_code,
    )


@router.post("/teams/{slug}/forecasts/{forecast_id}/commit", response_class=HTMLResponse)
def commit_forecast(
    request: Request,
    slug: str,
    forecast_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
) -> Response:
    """Mark a what-if as the team's plan: from now on it is scored. Committing twice changes nothing."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    row = service.get_forecast(session=session, actor=actor, forecast_id=forecast_id)
    if row.team_id != team.id:
        raise NotFoundError(f"No forecast with id {forecast_id} in this team.")
    row = service.commit_forecast(session=session, actor=actor, forecast_id=forecast_id, commitment="plan")
    return _forecast_page(request, session, actor, slug, result=service.replay(row), row=row, values={"kind": row.kind})


@router.get("/teams/{slug}/forecasts", response_class=HTMLResponse)
def forecasts_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """Forecast forms, the latest answers, and the team's forecast track record."""
    return _forecast_page(request, session, actor, slug)


@router.post("/teams/{slug}/forecasts", response_class=HTMLResponse)
def make_forecast(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[ForecastForm], form_model(ForecastForm)],
) -> Response:
    """Make a forecast and store it as a what-if (lists of items are answered without storing)."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    values = {key: str(value) for key, value in form.values.items()}
    if form.model is None:
        return _forecast_page(request, session, actor, slug, errors=form.errors, values=values, status_code=422)
    asked = form.model
    kind, epic, allocation, window_days = asked.kind, asked.epic, asked.allocation, asked.window
    by_date, target_date = asked.by, asked.target
    errors: dict[str, str] = {}
    keys = [key.strip() for key in asked.item_keys.replace(",", "\n").splitlines() if key.strip()]
    if kind == "when" and not epic and not keys and asked.items is None:
        errors["items"] = "Enter how many items remain, or choose an epic, or list items."
    if kind in ("how_many", "items") and by_date is None:
        errors.setdefault("by", "Choose the date.")
    if kind == "items" and not keys:
        errors["item_keys"] = "List the items, one key per line, in priority order."
    if kind == "epics" and allocation not in ("priority", "even"):
        errors["allocation"] = "Choose priority order or shared evenly."
    if errors:
        return _forecast_page(request, session, actor, slug, errors=errors, values=values, status_code=422)
    try:
        if kind == "how_many" and by_date is not None:
            row, result = service.create_how_many(
                session=session, actor=actor, team_id=team.id, by_date=by_date, window_days=window_days
            )
            return _forecast_page(request, session, actor, slug, result=result, row=row, values=values)
        if kind == "epics":
            epic_keys = [key.strip() for key in asked.epics.replace(",", "\n").splitlines() if key.strip()]
            rows, rule = service.forecast_epics(
                session=session,
                actor=actor,
                team_id=team.id,
                epic_keys=epic_keys or None,
                allocation=Allocation(allocation),
                window_days=window_days,
            )
            return _forecast_page(
                request, session, actor, slug, epics_result=[row for row, _ in rows], allocation=rule, values=values
            )
        if kind == "items" and by_date is not None:
            chances = service.forecast_items(
                session=session, actor=actor, team_id=team.id, item_keys=keys, by_date=by_date, window_days=window_days
            )
            return _forecast_page(request, session, actor, slug, items_result=chances, values=values)
        row, when = service.create_when(
            session=session,
            actor=actor,
            team_id=team.id,
            window_days=window_days,
            target_date=target_date,
            remaining_items=asked.items if not epic and not keys else None,
            epic_key=epic or None,
            item_keys=keys if keys and not epic else None,
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _forecast_page(
            request, session, actor, slug, errors={**exc.fields, "form": exc.message}, values=values, status_code=422
        )
    return _forecast_page(request, session, actor, slug, result=when, row=row, values=values)
