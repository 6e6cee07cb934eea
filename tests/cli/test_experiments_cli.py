"""`deliveryops experiments analyse|power` end to end through the real command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner

from deliveryops.cli.main import app

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"

SMALL = """metric,kind,variation,n,sum,sum_squares,role,higher_is_better
conversion,proportion,control,1000,100,100,primary,true
conversion,proportion,treatment,1000,130,130,primary,true
latency_ms,mean,control,1000,200000,40900000,guardrail,false
latency_ms,mean,treatment,1000,210000,45000000,guardrail,false
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "stats.csv"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_analyse_json_gives_the_welch_results(small: Path) -> None:
    result = runner.invoke(app, ["experiments", "analyse", str(small), "--absolute", "--correction", "none"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["file"] == "stats.csv"
    assert data["variations"] == ["control", "treatment"]
    conversion, latency = data["results"]
    expected = stats.ttest_ind_from_stats(0.13, math.sqrt(0.13 * 0.87), 1000, 0.1, math.sqrt(0.09), 1000, equal_var=False)
    assert conversion["lift"] == pytest.approx(0.03)
    assert conversion["p_value"] == pytest.approx(float(expected.pvalue), abs=1e-10)
    assert conversion["significant"] is True
    # latency: control mean 200, var (40.9e6 − 40e6)/999; treatment mean 210, var (45e6 − 44.1e6)/999
    expected_latency = stats.ttest_ind_from_stats(
        210, math.sqrt(900000 / 999), 1000, 200, math.sqrt(900000 / 999), 1000, equal_var=False
    )
    assert latency["p_value"] == pytest.approx(float(expected_latency.pvalue), abs=1e-12)
    assert data["warnings"] == [
        {"code": "guardrail", "message": "Guardrail breached: latency_ms (treatment) significantly worse than control."}
    ]
    assert (data["method"], data["correction"], data["units"], data["last_day"]) == (
        "frequentist",
        "none",
        {"control": 1000, "treatment": 1000},
        None,
    )
    assert data["srm"] == {
        "p_value": 1.0,
        "chi_square": 0.0,
        "observed": [1000, 1000],
        "expected": [1000.0, 1000.0],
        "warn": False,
    }
    assert data["over_time"] == []


def test_analyse_bayesian_and_sequential_options(small: Path) -> None:
    bayesian = json.loads(runner.invoke(app, ["experiments", "analyse", str(small), "--method", "bayesian"]).output)
    conversion = bayesian["results"][0]
    assert conversion["p_value"] is None
    assert conversion["lift"] == pytest.approx(0.3)
    sd = math.sqrt(0.13 * 0.87 / (0.01 * 1000) + 0.09 * 0.13**2 / (0.1**4 * 1000))
    assert conversion["chance_to_win"] == pytest.approx(float(stats.norm.cdf(0.3 / sd)), abs=1e-12)
    sequential = runner.invoke(app, ["experiments", "analyse", str(small), "--method", "sequential", "--peeked"])
    assert json.loads(sequential.output)["options"]["method"] == "sequential"
    assert not any("looked at before" in warning["message"] for warning in json.loads(sequential.output)["warnings"])


def test_analyse_cuped_example_with_weights(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["experiments", "analyse", str(EXAMPLES / "experiment-checkout.csv"), "--cuped", "--weights", "1,1,1"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    revenue = data["results"][0]
    assert (revenue["metric"], revenue["variation"]) == ("revenue_per_user", "one-page")
    assert revenue["cuped_theta"] is not None
    assert data["options"]["planned_weights"] == [1.0, 1.0, 1.0]


def test_analyse_html_is_self_contained(small: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "experiments",
            "analyse",
            str(EXAMPLES / "experiment-daily.csv"),
            "--method",
            "sequential",
            "--format",
            "html",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    # The terminal wraps a long path mid-word (pytest-xdist's temporary paths are longer): compare without spaces.
    assert f"Wrote{output}." in "".join(result.output.split())
    page = output.read_text(encoding="utf-8")
    assert "<script src=" not in page
    assert "Plotly.newPlot" in page
    assert "Cumulative lift over time" in page
    assert "Lift by metric and variation (sequential)" in page
    assert "confidence sequence" in page
    assert "docs/experiment-statistics.md" in page
    warned = runner.invoke(app, ["experiments", "analyse", str(small), "--format", "html"])
    assert 'role="alert"' in warned.output
    assert "Guardrail breached: latency_ms (treatment) significantly worse than control." in warned.output


def test_a_bad_file_names_line_and_column_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("metric,variation,n,sum,sum_squares\nrev,A,ten,5,4\nrev,B,10,5,4\n", encoding="utf-8")
    result = runner.invoke(app, ["experiments", "analyse", str(path)])
    assert result.exit_code == 1
    assert 'bad.csv: line 2, column n: expected a whole number of units, 0 or more, got "ten"' in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_bad_weights_are_refused(small: Path) -> None:
    result = runner.invoke(app, ["experiments", "analyse", str(small), "--weights", "1,1,1"])
    assert result.exit_code == 1
    assert "--weights has 3 values but the file has 2 variations" in " ".join(result.output.split())


def test_power_sample_size_and_duration() -> None:
    result = runner.invoke(
        app,
        [
            "experiments",
            "power",
            "--metric",
            "proportion",
            "--baseline",
            "0.1",
            "--mde",
            "0.1",
            "--variations",
            "3",
            "--daily-traffic",
            "4000",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "metric_kind": "proportion",
        "variations": 3,
        "alpha": 0.05,
        "power": 0.8,
        "sample_per_variation": 17860,
        "total_sample": 53580,
        "mde_relative": 0.1,
        "duration_days": 14,
    }
    text = runner.invoke(app, ["experiments", "power", "--metric", "mean", "--baseline", "10", "--sd", "2", "--mde", "0.05"])
    assert "Units per variation: 252 (504 in total over 2 variations)" in text.output


def test_power_mde_from_a_sample() -> None:
    result = runner.invoke(
        app, ["experiments", "power", "--metric", "mean", "--baseline", "10", "--sd", "2", "--sample", "252", "--json"]
    )
    assert json.loads(result.output)["mde_relative"] == pytest.approx(0.049917, abs=1e-6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--metric", "mean", "--baseline", "10", "--mde", "0.05"], "A mean metric needs --sd"),
        (["--metric", "proportion", "--baseline", "0.1"], "Give exactly one of --mde"),
        (["--metric", "proportion", "--baseline", "1.5", "--mde", "0.1"], "baseline_rate must be between 0 and 1, got 1.5"),
    ],
)
def test_power_refuses_bad_input(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["experiments", "power", *arguments])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_analyse_daily_file_gives_lift_over_time_and_a_proper_prior(tmp_path: Path) -> None:
    path = tmp_path / "daily.csv"
    path.write_text(
        "date,metric,kind,variation,n,sum,sum_squares\n"
        "2026-11-02,signup,proportion,control,100,10,10\n2026-11-02,signup,proportion,treatment,100,12,12\n"
        "2026-11-03,signup,proportion,control,100,10,10\n2026-11-03,signup,proportion,treatment,100,14,14\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["experiments", "analyse", str(path), "--daily", "--method", "bayesian", "--prior-variance", "0.01"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["daily"] is True
    assert [(series["variation"], series["days"]) for series in data["over_time"]] == [
        ("treatment", ["2026-11-02", "2026-11-03"]),
    ]
    assert data["last_day"] == "2026-11-03"
    assert (data["options"]["prior_proper"], data["options"]["prior_variance"]) == (True, 0.01)
    # Cumulative on the last day: 20/200 against 26/200, a relative lift of 0.3 shrunk by the N(0, 0.01) prior.
    variance = 0.13 * 0.87 / (0.01 * 200) + 0.09 * 0.13**2 / (0.1**4 * 200)
    precision = 1 / 0.01 + 1 / variance
    assert data["results"][0]["lift"] == pytest.approx(0.3 / variance / precision, abs=1e-12)
    assert data["over_time"][0]["lift"][1] == pytest.approx(data["results"][0]["lift"], abs=1e-12)
