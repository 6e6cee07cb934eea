"""`deliveryops experiments list|create|analyse|power`: the library and registering from the command line,
analysing a statistics file, planning sample sizes."""

from __future__ import annotations

import html
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from deliveryops.analytics.experiments import (
    DEFAULT_PRIOR_VARIANCE,
    AnalysisOptions,
    Correction,
    ExperimentAnalysis,
    Method,
    OverTimePoint,
    analyse,
    analyse_over_time,
)
from deliveryops.cli import output
from deliveryops.cli.common import (
    CliError,
    acting_user,
    build,
    console,
    friendly_errors,
    load_settings,
    person_scope,
    session_scope,
    team_id,
)
from deliveryops.cli.output import emit
from deliveryops.experiments import service
from deliveryops.experiments.analysis import file_results_read
from deliveryops.experiments.models import Decision, ExperimentStatus
from deliveryops.experiments.schemas import ExperimentCreate, ExperimentFilter, ExperimentRead, PowerQuery
from deliveryops.experiments.stats_csv import StatisticsFile, read_statistics
from deliveryops.schemas import DEFAULT_LIMIT

__all__ = ["analysis_html", "experiments_app"]

_CSS_FILE = Path(__file__).parent.parent / "web" / "static" / "app.css"
_DOCS = "docs/experiment-statistics.md"

experiments_app = typer.Typer(help="Experiments: list, register, analyse statistics, plan sample sizes.", no_args_is_help=True)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


class OutputFormat(StrEnum):
    """Output formats of `experiments analyse`."""

    JSON = "json"
    HTML = "html"


class PowerMetric(StrEnum):
    """Metric types of the power calculator."""

    MEAN = "mean"
    PROPORTION = "proportion"


def _number(value: float | None, *, percent: bool, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}%}" if percent else f"{value:+.{digits + 2}g}"


def _plain(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def _forest_spec(analysis: ExperimentAnalysis) -> dict[str, Any]:
    relative = analysis.options.relative
    scale = 100.0 if relative else 1.0
    shown = [r for r in analysis.results if r.lift is not None]
    labels = [f"{r.metric} · {r.variation}" for r in shown]
    lifts = [(r.lift or 0.0) * scale for r in shown]
    plus = [((r.ci_high if r.ci_high is not None else r.lift or 0.0) - (r.lift or 0.0)) * scale for r in shown]
    minus = [((r.lift or 0.0) - (r.ci_low if r.ci_low is not None else r.lift or 0.0)) * scale for r in shown]
    colours = [
        "#1b7f3b" if r.significant and ((r.lift or 0) > 0) == r.higher_is_better else "#b3261e" if r.significant else "#5f6368"
        for r in shown
    ]
    unit = "relative lift (%)" if relative else "absolute difference (metric units)"
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": lifts,
                "y": labels,
                "marker": {"color": colours, "size": 10},
                "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
                "hovertemplate": "%{y}: %{x:.3g}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": f"Lift by metric and variation ({analysis.options.method.value})"},
            "xaxis": {"title": {"text": unit}, "zeroline": True},
            "yaxis": {"title": {"text": "metric · variation"}, "autorange": "reversed", "automargin": True},
            "height": 140 + 40 * max(1, len(shown)),
            "margin": {"l": 40, "r": 20, "t": 50, "b": 50},
        },
    }


def _over_time_spec(points: list[OverTimePoint], relative: bool) -> dict[str, Any]:
    scale = 100.0 if relative else 1.0
    series: dict[str, list[OverTimePoint]] = {}
    for point in points:
        series.setdefault(f"{point.metric} · {point.variation}", []).append(point)
    data: list[dict[str, Any]] = []
    for label, items in series.items():
        days = [p.day.isoformat() for p in items]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": label,
                "x": days,
                "y": [None if p.lift is None else p.lift * scale for p in items],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [None if p.ci_high is None or p.lift is None else (p.ci_high - p.lift) * scale for p in items],
                    "arrayminus": [None if p.ci_low is None or p.lift is None else (p.lift - p.ci_low) * scale for p in items],
                },
            }
        )
    unit = "relative lift (%)" if relative else "absolute difference (metric units)"
    return {
        "data": data,
        "layout": {
            "title": {"text": "Cumulative lift over time"},
            "legend": {"orientation": "h", "y": -0.25},
            "xaxis": {"title": {"text": "day (cumulative statistics up to that day)"}},
            "yaxis": {"title": {"text": unit}, "zeroline": True},
            "height": 460,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        },
    }


def analysis_html(statistics: StatisticsFile, analysis: ExperimentAnalysis, over_time: list[OverTimePoint]) -> str:
    """The analysis as one self-contained HTML page (Plotly inlined, so it opens offline).

    Args:
        statistics: the file read.
        analysis: its analysis.
        over_time: lift per day (empty without dates).

    Returns:
        The HTML text.
    """
    from plotly.offline import get_plotlyjs  # noqa: PLC0415 (a 3 MB script, only for html)

    options = analysis.options
    bayesian = options.method is Method.BAYESIAN
    escape = html.escape
    warnings = "".join(f"<li>{escape(warning)}</li>" for warning in analysis.warnings)
    warning_block = (
        f'<section role="alert" class="flash flash-error"><h2>Warnings</h2><ul>{warnings}</ul></section>'
        if warnings
        else '<p class="muted">No warnings: no sample ratio mismatch, no empty arm, no zero variance, no breached guardrail.</p>'
    )
    srm = analysis.srm
    srm_text = (
        f"Sample ratio check (χ² against the planned weights): χ² = {srm.chi_square:.3f}, p = {srm.p_value:.4g}"
        f"{' — mismatch' if srm.warn else ''}."
        if srm is not None
        else "Sample ratio check: no units."
    )
    head = "<th>chance to win</th><th>risk</th>" if bayesian else "<th>p-value</th><th>adjusted p</th>"
    rows = []
    for r in analysis.results:
        stats = (
            f"<td>{_plain(r.chance_to_win)}</td><td>{_plain(r.risk)}</td>"
            if bayesian
            else f"<td>{_plain(r.p_value)}</td><td>{_plain(r.adjusted_p_value)}</td>"
        )
        interval = f"[{_number(r.ci_low, percent=options.relative)}, {_number(r.ci_high, percent=options.relative)}]"
        rows.append(
            f"<tr><td>{escape(r.metric)}</td><td>{escape(r.role)}</td><td>{escape(r.variation)}</td>"
            f"<td>{r.control_n:,} / {r.variation_n:,}</td><td>{_plain(r.control_mean)}</td><td>{_plain(r.variation_mean)}</td>"
            f"<td>{_number(r.lift, percent=options.relative)}</td><td>{interval}</td>{stats}"
            f"<td>{'yes' if r.significant else 'no'}</td><td>{escape(r.note or '')}</td></tr>"
        )
    interval_name = {"frequentist": "confidence interval", "sequential": "confidence sequence", "bayesian": "credible interval"}[
        options.method.value
    ]
    figures = {"forest": _forest_spec(analysis)}
    if over_time:
        figures["over-time"] = _over_time_spec(over_time, options.relative)
    charts = "".join(
        f'<figure><div id="chart-{name}" role="img" aria-label="{escape(str(spec["layout"]["title"]["text"]))}">'
        f'</div><figcaption>Definitions: <a href="{_DOCS}">{_DOCS}</a></figcaption></figure>'
        for name, spec in figures.items()
    )
    specs = json.dumps(figures).replace("</", "<\\/")
    css = _CSS_FILE.read_text(encoding="utf-8") if _CSS_FILE.exists() else ""
    summary = (
        f"Method: {options.method.value}; alpha {options.alpha:g}; {'relative' if options.relative else 'absolute'} "
        f"lift; CUPED {'on' if options.cuped else 'off'}; correction {options.correction.value} (primary metrics); "
        f"{interval_name}s at {1 - options.alpha:.0%}."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Experiment analysis – {escape(statistics.name)}</title>
<style>{css}
main{{min-width:0;max-width:min(1200px, 100vw)}}
figure{{margin:1rem 0;max-width:100%;min-width:0}} figure > div{{width:100%;max-width:calc(100vw - 2rem)}}
.table-scroll{{overflow-x:auto}} table.results td, table.results th{{padding:.3rem .5rem;text-align:left;white-space:nowrap}}
</style>
<script>{get_plotlyjs()}</script></head>
<body><main class="container">
<h1>Experiment analysis: {escape(statistics.name)}</h1>
<p>{escape(summary)} Variations: {escape(", ".join(statistics.variations))} (the first is the control).</p>
{warning_block}
<p>{escape(srm_text)}</p>
{charts}
<div class="table-scroll"><table class="results"><caption>Each variation against the control</caption>
<thead><tr><th>metric</th><th>role</th><th>variation</th><th>units (control / variation)</th><th>control mean</th>
<th>variation mean</th><th>lift</th><th>{interval_name}</th>{head}<th>significant</th><th>note</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<p>How each number is computed, and how it compares with GrowthBook: <a href="{_DOCS}">{_DOCS}</a>.</p>
</main>
<script>
const specs = {specs};
for (const [name, spec] of Object.entries(specs)) {{
  Plotly.newPlot("chart-" + name, spec.data, spec.layout, {{responsive: true, displayModeBar: false}});
}}
</script></body></html>
"""


def _weights(text: str | None, count: int) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        weights = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise CliError(f"--weights must be numbers separated by commas, got {text!r}") from None
    if len(weights) != count:
        raise CliError(f"--weights has {len(weights)} values but the file has {count} variations")
    if any(weight < 0 for weight in weights) or sum(weights) <= 0:
        raise CliError("--weights must be 0 or more and not all 0")
    return weights


@experiments_app.command("analyse")
@friendly_errors
def analyse_command(
    statistics_file: Annotated[
        Path,
        typer.Argument(
            metavar="STATS.csv",
            help="Statistics file (docs/experiment-statistics.md).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    method: Annotated[
        Method, typer.Option(help="frequentist (fixed horizon), sequential (safe to peek) or bayesian.")
    ] = Method.FREQUENTIST,
    correction: Annotated[
        Correction, typer.Option(help="Multiple-testing correction over primary metrics: holm, bh or none.")
    ] = Correction.HOLM,
    cuped: Annotated[bool, typer.Option("--cuped", help="Adjust with the pre-period statistics (CUPED).")] = False,
    alpha: Annotated[float, typer.Option(help="False-positive rate (bayesian: 1 − credibility).", min=0.0001, max=0.5)] = 0.05,
    absolute: Annotated[bool, typer.Option("--absolute", help="Report absolute differences instead of relative lifts.")] = False,
    daily: Annotated[
        bool | None,
        typer.Option(
            "--daily/--cumulative",
            help="Rows are per-day statistics to sum (default: the file's period column, else cumulative).",
        ),
    ] = None,
    weights: Annotated[
        str | None, typer.Option(help="Planned traffic weights per variation for the SRM check, e.g. 50,50.")
    ] = None,
    sequential_tuning: Annotated[
        float, typer.Option(help="n*: total units where the confidence sequence is tightest.", min=1.0)
    ] = 5000.0,
    prior_variance: Annotated[
        float | None,
        typer.Option(help="Variance of a proper Gaussian prior on the relative lift (bayesian; default a flat prior).", min=1e-9),
    ] = None,
    planned_sample: Annotated[int | None, typer.Option(help="Units per variation the experiment was sized for.", min=1)] = None,
    mde: Annotated[float | None, typer.Option(help="Relative MDE it was sized for (0.05 = 5%).", min=1e-9)] = None,
    peeked: Annotated[bool, typer.Option("--peeked", help="Results were looked at before the planned end.")] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="json or html (self-contained, works offline).")
    ] = OutputFormat.JSON,
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
) -> None:
    """Analyse an experiment statistics file: lift, interval, p-value or chance to win, SRM and warnings."""
    statistics = read_statistics(statistics_file.read_bytes(), name=statistics_file.name, daily=daily)
    options = AnalysisOptions(
        method=method,
        alpha=alpha,
        relative=not absolute,
        cuped=cuped,
        correction=correction,
        sequential_tuning=sequential_tuning,
        prior_variance=prior_variance or DEFAULT_PRIOR_VARIANCE,
        prior_proper=prior_variance is not None,
        planned_weights=_weights(weights, len(statistics.variations)),
        planned_sample_per_variation=planned_sample,
        mde_relative=mde,
        peeked=peeked,
    )
    try:
        analysis = analyse(statistics.metrics, options=options)
        over_time = (
            analyse_over_time([(day.day, day.metrics) for day in statistics.days], options=options)
            if len(statistics.days) > 1
            else []
        )
    except ValueError as error:
        raise CliError(f"{statistics_file.name}: {error}") from None
    if output_format is OutputFormat.JSON:
        text = file_results_read(statistics, analysis, over_time).model_dump_json(indent=2) + "\n"
    else:
        text = analysis_html(statistics, analysis, over_time)
    emit(text, output)


@experiments_app.command("power")
@friendly_errors
def power_command(
    metric: Annotated[PowerMetric, typer.Option(help="mean or proportion.")],
    baseline: Annotated[float, typer.Option(help="Control mean, or conversion rate between 0 and 1.")],
    standard_deviation: Annotated[float | None, typer.Option("--sd", help="Per-unit standard deviation (mean metrics).")] = None,
    mde: Annotated[float | None, typer.Option(help="Relative MDE (0.05 = 5%): gives the sample size.")] = None,
    sample: Annotated[int | None, typer.Option(help="Units per variation: gives the MDE.")] = None,
    variations: Annotated[int, typer.Option(help="Number of variations including the control.", min=2)] = 2,
    alpha: Annotated[float, typer.Option(help="Family-wise false-positive rate (two-sided).")] = 0.05,
    power: Annotated[float, typer.Option(help="Chance of detecting an effect of the MDE.")] = 0.8,
    daily_traffic: Annotated[float | None, typer.Option(help="Eligible units per day: gives the duration.")] = None,
    traffic_share: Annotated[float, typer.Option(help="Share of eligible traffic in the experiment (0–1].")] = 1.0,
    output_format: Annotated[
        output.TextFormat, typer.Option("--format", help="text, or json: the answer of GET /api/v1/experiments/power.")
    ] = output.TextFormat.TEXT,
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="The same as --format json.")] = False,
) -> None:
    """Plan an experiment: sample size from an MDE, or the MDE from a sample size, and the duration."""
    if as_json:
        output_format = output.TextFormat.JSON
    if (mde is None) == (sample is None):
        raise CliError("Give exactly one of --mde (to get the sample size) or --sample (to get the MDE).")
    if metric is PowerMetric.MEAN and standard_deviation is None:
        raise CliError("A mean metric needs --sd, the per-unit standard deviation.")
    if not 0 < traffic_share <= 1:
        raise CliError(f"--traffic-share must be above 0 and at most 1, got {traffic_share:g}.")
    query = build(
        PowerQuery,
        kind=metric.value,
        baseline=baseline,
        standard_deviation=standard_deviation,
        mde=mde,
        sample_per_variation=sample,
        variations=variations,
        alpha=alpha,
        power=power,
        daily_traffic=daily_traffic * traffic_share if daily_traffic is not None else None,
    )
    result = service.calculate_power(query)
    if output_format is output.TextFormat.JSON:
        output.print_json(result)
        return
    per_variation, detectable = result.sample_per_variation, result.mde_relative
    console.print(
        f"Units per variation: {per_variation:,} ({result.total_sample:,} in total over {variations} variations)",
        highlight=False,
    )
    console.print(
        f"Minimum detectable effect: {detectable:.2%} relative, at alpha {alpha:g} "
        f"(each of {variations - 1} comparison(s) at {alpha / (variations - 1):.4g}) and power {power:.0%}",
        highlight=False,
    )
    if result.duration_days is not None and daily_traffic is not None:
        console.print(
            f"Duration: {result.duration_days} day(s) at {daily_traffic:,.0f} units a day × {traffic_share:.0%} "
            "in the experiment",
            highlight=False,
        )


LIBRARY_COLUMNS: list[output.Column[ExperimentRead]] = [
    output.Column("Id", lambda e: e.id),
    output.Column("Key", lambda e: e.key),
    output.Column("Title", lambda e: e.title),
    output.Column("Team", lambda e: e.team_id),
    output.Column("Status", lambda e: e.status.value),
    output.Column("Decision", lambda e: e.decision.value if e.decision else None),
    output.Column("Tags", lambda e: ", ".join(e.tags)),
]


@experiments_app.command("list")
@friendly_errors
def list_command(
    q: Annotated[str, typer.Option("--q", help="Words in the title, hypothesis, learnings, metrics or tags.")] = "",
    team: Annotated[str | None, typer.Option(help="Only this team's (name, slug or id).")] = None,
    status: Annotated[ExperimentStatus | None, typer.Option(help="Only this status.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only with this tag.")] = None,
    metric: Annotated[str | None, typer.Option(help="Only with a metric whose name contains this.")] = None,
    decision: Annotated[Decision | None, typer.Option(help="Only with this decision.")] = None,
    acting: Annotated[
        str | None, typer.Option("--as", help="E-mail of the person asking: only the teams they see (default: all).")
    ] = None,
    output_format: output.FormatOption = output.OutputFormat.TABLE,
    limit: output.LimitOption = DEFAULT_LIMIT,
    offset: output.OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """The experiment library, newest first (the API's `GET /experiments`, same filters and page)."""
    with session_scope(load_settings(database)) as session:
        actor = acting_user(session, acting)
        filters = build(
            ExperimentFilter,
            q=q,
            team_id=team_id(session, team, actor) if team else None,
            status=status,
            tag=tag,
            metric=metric,
            decision=decision,
        )
        page = service.library(session=session, actor=actor, filters=filters, page=output.page_params(limit, offset))
        output.print_page(
            page, LIBRARY_COLUMNS, output_format, empty="No experiments. Register one with `deliveryops experiments create`."
        )


def _metric(text: str) -> dict[str, Any]:
    """``name[:kind[:role[:lower]]]`` as the API's metric object (the model checks each part)."""
    parts = [part.strip() for part in text.split(":")]
    metric: dict[str, Any] = {"name": parts[0]}
    for key, value in zip(("kind", "role"), parts[1:3], strict=False):
        if value:
            metric[key] = value
    if len(parts) > 3:
        metric["higher_is_better"] = parts[3] != "lower"
    return metric


@experiments_app.command("create")
@friendly_errors
def create_command(
    team: Annotated[str, typer.Option(help="The owner team (name, slug or id).")],
    title: Annotated[str, typer.Option(help="A short title; its key is made from it.")],
    acting: Annotated[str, typer.Option("--as", help="E-mail of the person registering it (its creator).")],
    observation: Annotated[str, typer.Option(help="Because we saw …")] = "",
    belief: Annotated[str, typer.Option(help="we believe …")] = "",
    outcome: Annotated[str, typer.Option(help="will result in …")] = "",
    measure: Annotated[str, typer.Option(help="measured by …")] = "",
    variation: Annotated[
        list[str] | None,
        typer.Option(help="A variation; repeat it (the first is the control). Default: control, treatment."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(help="A metric as name[:kind[:role[:lower]]], e.g. conversion:proportion:primary."),
    ] = None,
    tags: Annotated[str, typer.Option(help="Tags, comma-separated.")] = "",
    work_items: Annotated[str, typer.Option(help="Keys of the team's work items that build it, comma-separated.")] = "",
    planned_sample_size: Annotated[int | None, typer.Option(help="Units per variation.")] = None,
    mde: Annotated[float | None, typer.Option(help="Relative minimum detectable effect (0.05 = 5%).")] = None,
    expected_daily_traffic: Annotated[int | None, typer.Option(help="Units per day, all variations.")] = None,
    planned_start: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    planned_end: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    method: Annotated[Method, typer.Option(help="frequentist, sequential or bayesian.")] = Method.FREQUENTIST,
    correction: Annotated[Correction, typer.Option(help="none, holm or bh.")] = Correction.NONE,
    alpha: Annotated[float, typer.Option(help="The significance level.")] = 0.05,
    cuped: Annotated[bool, typer.Option("--cuped", help="Adjust with pre-period statistics (CUPED).")] = False,
    reviewer_required: Annotated[bool, typer.Option("--reviewer-required", help="A reviewer must approve it.")] = False,
    output_format: output.FormatOption = output.OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Register an experiment as a draft (the API's `POST /experiments`, the same checks and errors)."""
    with person_scope(database, acting) as (session, actor, _settings):
        values: dict[str, Any] = {
            "team_id": team_id(session, team, actor),
            "title": title,
            "observation": observation,
            "belief": belief,
            "outcome": outcome,
            "measure": measure,
            "metrics": [_metric(m) for m in metric or []],
            "tags": tags,
            "work_items": work_items,
            "planned_sample_size": planned_sample_size,
            "mde": mde,
            "expected_daily_traffic": expected_daily_traffic,
            "planned_start": planned_start,
            "planned_end": planned_end,
            "method": method,
            "correction": correction,
            "alpha": alpha,
            "cuped": cuped,
            "reviewer_required": reviewer_required,
        }
        if variation:
            values["variations"] = [{"name": name, "is_control": number == 0} for number, name in enumerate(variation)]
        body = build(ExperimentCreate, **values)
        created = service.read(service.create(session=session, actor=actor, team_id=body.team_id, design=body))
    if output_format is output.OutputFormat.JSON:
        output.print_json(created)
        return
    console.print(f"Registered {created.title!r} as a draft: experiment {created.id} ({created.key}).", highlight=False)
