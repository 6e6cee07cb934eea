"""`deliveryops dora report` and `deliveryops dora import` against a real SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deliveryops.cli.main import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PERIOD = ["--from", "2026-03-02", "--to", "2026-03-15"]


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dora') / 'dora.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database", url]).exit_code == 0
    assert runner.invoke(app, ["groups", "create", "Commerce", "--database", url]).exit_code == 0
    created = runner.invoke(app, ["teams", "create", "Shop", "--group", "commerce", "--database", url])
    assert created.exit_code == 0, created.output
    for kind in ("changes", "deployments", "incidents"):
        imported = runner.invoke(
            app, ["dora", "import", kind, str(EXAMPLES / f"dora-{kind}.csv"), "--team", "shop", "--database", url]
        )
        assert imported.exit_code == 0, imported.output
        assert f"from dora-{kind}.csv." in imported.output
    return url


def test_json_report_of_a_team(db_url: str) -> None:
    result = runner.invoke(app, ["dora", "report", "--team", "shop", *PERIOD, "--format", "json", "--database", db_url])
    assert result.exit_code == 0, result.output
    keys = json.loads(result.output)["keys"]
    assert (keys["deployment_days_per_week"], keys["deployment_frequency_band"]) == (3.0, "high")
    assert (round(keys["lead_time_hours"], 4), keys["lead_time_band"]) == (23.4167, "elite")
    assert (keys["deployments"], keys["failed_deployments"], keys["change_failure_rate_band"]) == (7, 3, "low")
    assert (keys["recovery_hours"], keys["recovery_band"]) == (8.0, "high")


def test_csv_report_of_a_group_by_month(db_url: str) -> None:
    result = runner.invoke(
        app, ["dora", "report", "--group", "commerce", *PERIOD, "--period", "month", "--format", "csv", "--database", db_url]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "period_start,period_end,deployments,deployment_days,deployment_days_per_week,lead_time_hours,coding_hours,"
        "pickup_hours,review_hours,deploy_hours,change_failure_rate,failed_deployments,recovery_hours,changes,"
        "incidents,rework_rate,rework_deployments",
        "2026-03-02,2026-03-15,7,6,3.0,23.4167,1.0,1.0,2.0,3.8333,0.4286,3,8.0,8,4,0.1429,1",
    ]


def test_html_report_opens_offline(db_url: str, tmp_path: Path) -> None:
    output = tmp_path / "dora.html"
    result = runner.invoke(
        app, ["dora", "report", "--team", "Shop", *PERIOD, "--format", "html", "--output", str(output), "--database", db_url]
    )
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    assert "DORA of Shop" in text
    assert "Plotly.newPlot" in text
    assert "≥ 5 deployment days per week" in text
    assert "<script src=" not in text


def test_mistakes_are_one_line(db_url: str, tmp_path: Path) -> None:
    both = runner.invoke(app, ["dora", "report", "--team", "shop", "--group", "commerce", "--database", db_url])
    assert both.exit_code == 1
    assert "Give either --team or --group." in both.output
    nobody = runner.invoke(app, ["dora", "report", "--team", "nope", "--database", db_url])
    assert "No team named 'nope'." in nobody.output
    backwards = runner.invoke(
        app, ["dora", "report", "--team", "shop", "--from", "2026-03-10", "--to", "2026-03-01", "--database", db_url]
    )
    assert json.loads(backwards.output)["error"] == {  # json, the default format: the API's error body
        "code": "validation_failed",
        "message": "The period starts after it ends.",
        "details": {"fields": {"start": "Must be on or before the end."}},
    }
    backwards_args = ["dora", "report", "--team", "shop", "--from", "2026-03-10", "--to", "2026-03-01"]
    as_text = runner.invoke(app, [*backwards_args, "--format", "csv", "--database", db_url])
    assert "The period starts after it ends. (start: Must be on or before the end.)" in as_text.output
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("id,title,created_at\nI-9,Down,tomorrow\n", encoding="utf-8")
    bad = runner.invoke(app, ["dora", "import", "incidents", str(bad_file), "--team", "shop", "--database", db_url])
    assert bad.exit_code == 1
    assert " ".join(bad.output.split()) == (
        "Error: bad.csv: nothing was imported: line 2, column created_at: 'tomorrow' is not a date and time like "
        "2026-03-02T10:20:00Z (file: 1 problem; nothing was imported)"
    )
    assert "Traceback" not in bad.output
    missing = runner.invoke(
        app, ["dora", "import", "incidents", str(tmp_path / "none.csv"), "--team", "shop", "--database", db_url]
    )
    assert "Cannot read" in missing.output
    assert missing.exit_code == 1
