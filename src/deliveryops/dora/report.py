"""`deliveryops dora report` outputs: JSON, CSV (one row per period) and a self-contained HTML page."""

from __future__ import annotations

import io

from deliveryops.analytics.dora import BAND_THRESHOLDS, hours_text
from deliveryops.dora import service
from deliveryops.dora.charts import dora_figures
from deliveryops.dora.schemas import DoraSummary
from deliveryops.web.csv_export import SafeDictWriter
from deliveryops.web.standalone import render_standalone

__all__ = ["report_csv", "report_html", "report_json"]


def report_json(report: service.DoraReport) -> str:
    """The summary, series and each team's keys as JSON (the API's shape)."""
    summary: DoraSummary = service.summary_of(report)
    return summary.model_dump_json(indent=2)


def report_csv(report: service.DoraReport) -> str:
    """One row per week, month or quarter with the four keys, the rework rate and the counts behind them."""
    buffer = io.StringIO()
    rows = service.series_rows(report)
    columns = [
        "period_start",
        "period_end",
        "deployments",
        "deployment_days",
        "deployment_days_per_week",
        "lead_time_hours",
        "coding_hours",
        "pickup_hours",
        "review_hours",
        "deploy_hours",
        "change_failure_rate",
        "failed_deployments",
        "recovery_hours",
        "changes",
        "incidents",
        "rework_rate",
        "rework_deployments",
    ]
    writer = SafeDictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row[key]) for key in columns})
    return buffer.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    return round(value, 4) if isinstance(value, float) else value


def report_html(report: service.DoraReport) -> str:
    """The report as one HTML file that opens offline (Plotly inlined)."""
    figures = dora_figures(report.series, period=report.period)
    return render_standalone(
        "dora/report.html",
        specs={f.name: f.spec for f in figures},
        report=report,
        keys=report.keys,
        figures=figures,
        thresholds=BAND_THRESHOLDS,
        hours_text=hours_text,
    )
