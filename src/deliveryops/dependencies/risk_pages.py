"""HTML pages: the timeline of needed-by dates with each dependency's chance, and the requester's threshold form.

Included before the dependency pages, so ``/dependencies/timeline`` is not read as a dependency id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops import charts
from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import User
from deliveryops.charts import page_figure
from deliveryops.db import utcnow
from deliveryops.dependencies import risk, service
from deliveryops.dependencies.models import Dependency
from deliveryops.dependencies.schemas import ChanceRead, ThresholdUpdate
from deliveryops.teams.models import Team
from deliveryops.teams.page_context import register_team_context
from deliveryops.web.form_pages import submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)
DependencyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ThresholdForm = Annotated[FormInput[ThresholdUpdate], form_model(ThresholdUpdate)]

COLOURS = {"at risk": charts.VERMILLION, "on track": charts.GREEN, "no forecast": charts.SKY_BLUE, "overdue": charts.BLACK}


def team_at_risk(session: Session, viewer: User, team: Team) -> dict[str, Any]:
    """For the team's page: the team's dependencies at risk that the viewer may see."""
    return {"at_risk_dependencies": risk.at_risk(session, actor=viewer, team_ids={team.id}), "at_risk_scope": f"of {team.name}"}


register_team_context("at_risk_dependencies", team_at_risk)


def timeline_chart(rows: list[ChanceRead]) -> charts.ChartSpec:
    """Needed-by dates (x, date) per dependency (y), coloured by at risk / on track; committed dates as open marks."""
    figure = charts.new_chart(
        title="Needed-by dates",
        x_title="Date (needed by ● / committed ○)",
        y_title="Dependency",
        definition="dependency-chance",
        subtitle="Colour: chance of delivery by the needed-by date against the requester's threshold",
    )
    if not rows:
        return charts.empty_chart(figure, "No open dependencies to show.")
    today = utcnow().date()
    groups: dict[str, list[ChanceRead]] = {}
    for row in rows:
        d = row.dependency
        group = (
            "overdue"
            if d.overdue
            else "at risk"
            if row.at_risk
            else "on track"
            if row.chance_needed is not None
            else "no forecast"
        )
        groups.setdefault(group, []).append(row)
    for group, members in groups.items():
        labels = [f"#{r.dependency.id} {r.dependency.title[:40]}" for r in members]
        hover = [
            f"{charts.escape(r.dependency.requester_team)} ← {charts.escape(r.dependency.provider)}: "
            + (f"{round(r.chance_needed * 100)}% chance" if r.chance_needed is not None else "no forecast")
            for r in members
        ]
        figure.add_trace(
            {
                "type": "scatter",
                "mode": "markers",
                "name": group,
                "x": [r.dependency.needed_by.isoformat() for r in members],
                "y": labels,
                "text": hover,
                "hovertemplate": "%{y}<br>needed by %{x}<br>%{text}<extra></extra>",
                "marker": {"size": 12, "color": COLOURS[group]},
            }
        )
    committed = [r for r in rows if r.dependency.committed_on]
    if committed:
        figure.add_trace(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "committed",
                "x": [r.dependency.committed_on.isoformat() for r in committed if r.dependency.committed_on],
                "y": [f"#{r.dependency.id} {r.dependency.title[:40]}" for r in committed],
                "hovertemplate": "%{y}<br>committed %{x}<extra></extra>",
                "marker": {"size": 12, "symbol": "circle-open", "color": charts.BLUE, "line": {"width": 2}},
            }
        )
    charts.vertical_line(figure, x=today.isoformat(), name="today", text="today", colour=charts.BLACK)
    figure.update_xaxes(type="date")
    figure.update_yaxes(type="category", autorange="reversed", rangemode="normal")
    figure.update_layout(height=max(260, 60 + 28 * len(rows)))
    return charts.to_spec(figure)


@router.get("/dependencies/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Open dependencies the signed-in person may see on a timeline of needed-by dates, with their chances."""
    candidates = [
        d
        for d in session.scalars(select(Dependency).order_by(Dependency.needed_by, Dependency.id))
        if d.state.is_open and service.can_see(session, actor, d)
    ]
    rows = risk.chance_reads(session, candidates)
    return render(
        request,
        "dependencies/timeline.html",
        {"rows": rows, "figure": page_figure("timeline", timeline_chart(rows)) if rows else None},
    )


@router.post("/dependencies/{dependency_id}/threshold", response_class=HTMLResponse)
def threshold_page(
    request: Request, session: SessionDep, actor: PageUser, dependency_id: DependencyId, form: ThresholdForm
) -> Response:
    """Set the warning threshold (the requesting side); an invalid value goes back to the dependency with a message."""
    return submit_form(
        session,
        form,
        lambda body: risk.set_threshold(session=session, actor=actor, dependency_id=dependency_id, body=body),
        done=f"/dependencies/{dependency_id}#chance",
        again=lambda _values, errors, status: render(
            request,
            "dependencies/threshold_error.html",
            {"dependency_id": dependency_id, "message": " ".join(errors.values())},
            status_code=status,
        ),
    )
