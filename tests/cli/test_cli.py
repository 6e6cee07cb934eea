"""The command line: help everywhere, clean errors, and the real database commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from deliveryops.cli.main import app

runner = CliRunner()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    # Duck-typed: Typer's command classes need not subclass click's.
    found: list[tuple[tuple[str, ...], Any]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append((path, command))
        if hasattr(command, "commands"):
            found += _commands(command, path)
    return found


ALL_COMMANDS = _commands(typer.main.get_command(app))


def test_every_command_has_help_text() -> None:
    assert len(ALL_COMMANDS) >= 12
    missing = [" ".join(path) for path, command in ALL_COMMANDS if not (command.help or "").strip()]
    assert missing == []
    for path, _command in ALL_COMMANDS:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)


def test_every_command_is_documented() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    undocumented = [
        " ".join(path)
        for path, command in ALL_COMMANDS
        if not hasattr(command, "commands") and f"deliveryops {' '.join(path)}" not in guide
    ]
    assert undocumented == []


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_serve_refuses_an_unmigrated_database(db_url: str) -> None:
    result = runner.invoke(app, ["serve", "--database", db_url])
    assert result.exit_code == 1
    assert "is empty. Run `deliveryops db upgrade` first." in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_database_commands_end_to_end(db_url: str) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade", "--database", db_url])
    assert upgraded.exit_code == 0, upgraded.output
    assert "Upgraded the database from empty to" in upgraded.output
    again = runner.invoke(app, ["db", "upgrade", "--database", db_url])
    assert "The database is up to date" in again.output
    status = runner.invoke(app, ["db", "status", "--database", db_url])
    assert "up to date" in " ".join(status.output.split())  # rich wraps long revision names
    as_json = json.loads(runner.invoke(app, ["db", "status", "--format", "json", "--database", db_url]).output)
    assert as_json["up_to_date"] is True
    assert as_json["revision"] == as_json["head"]
    assert runner.invoke(app, ["groups", "create", "Commerce", "--database", db_url]).exit_code == 0
    created = runner.invoke(
        app, ["teams", "create", "Payments", "--time-zone", "Europe/Berlin", "--group", "commerce", "--database", db_url]
    )
    assert created.exit_code == 0, created.output
    assert "Created team Payments (payments)." in created.output
    listing = runner.invoke(app, ["teams", "list", "--database", db_url])
    assert "Payments" in listing.output
    assert "Europe/Berlin" in listing.output
    assert "Payments" in runner.invoke(app, ["groups", "list", "--database", db_url]).output
    user = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "root@example.com",
            "--role",
            "admin",
            "--password",
            "long enough password",
            "--database",
            db_url,
        ],
    )
    assert user.exit_code == 0, user.output
    assert "Created Root <root@example.com> as Admin." in user.output
    assert "root@example.com" in runner.invoke(app, ["users", "list", "--database", db_url]).output


def test_user_mistakes_are_one_line_without_traceback(db_url: str) -> None:
    runner.invoke(app, ["db", "upgrade", "--database", db_url])
    bad_group = runner.invoke(app, ["teams", "create", "X", "--group", "nope", "--database", db_url])
    assert bad_group.exit_code == 1
    assert "No group named 'nope'. See `deliveryops groups list`." in bad_group.output
    bad_zone = runner.invoke(app, ["teams", "create", "Y", "--time-zone", "Mars/Base", "--database", db_url])
    assert bad_zone.exit_code == 1
    assert "Unknown time zone 'Mars/Base'." in bad_zone.output
    short = runner.invoke(app, ["users", "create", "--email", "a@example.com", "--password", "short", "--database", db_url])
    assert short.exit_code == 1
    assert "password: Use at least 10 characters." in short.output
    for result in (bad_group, bad_zone, short):
        assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    result = runner.invoke(app, ["demo", "--database", url, "--no-serve", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com" in result.output
    assert "Password:" in result.output
    return url


def test_demo_builds_an_organisation_with_history(demo_url: str) -> None:
    teams = runner.invoke(app, ["teams", "list", "--database", demo_url])
    for name in ("Payments", "Checkout", "Growth", "Search", "Mobile", "Data Platform"):
        assert name in teams.output
    rerun = runner.invoke(app, ["demo", "--database", demo_url, "--no-serve", "--seed", "3"])
    assert rerun.exit_code == 0, rerun.output
    assert "work items with" in rerun.output


def test_flow_report_formats(demo_url: str, tmp_path: Path) -> None:
    as_json = runner.invoke(app, ["flow", "report", "--team", "payments", "--format", "json", "--database", demo_url])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert payload["team"] == "Payments"
    assert payload["finished"] > 0
    assert set(payload["cycle_time_percentiles_days"]) == {"50", "70", "85", "95"}
    as_csv = runner.invoke(app, ["flow", "report", "--team", "payments", "--format", "csv", "--database", demo_url])
    assert as_csv.output.splitlines()[0] == (
        "key,title,item_type,started_date,finished_date,cycle_time_days,cycle_time_hours,current_status,current_category"
    )
    html = tmp_path / "report.html"
    written = runner.invoke(
        app, ["flow", "report", "--team", "payments", "--format", "html", "--output", str(html), "--database", demo_url]
    )
    assert written.exit_code == 0, written.output
    text = html.read_text(encoding="utf-8")
    assert "Flow of Payments" in text
    assert "Plotly.newPlot" in text
    assert "<script src=" not in text  # Plotly is inlined: the report opens offline
    bad = runner.invoke(app, ["flow", "report", "--team", "payments", "--from", "soon", "--database", demo_url])
    assert bad.exit_code == 1
    assert "--from: expected a date like 2026-03-31, got 'soon'." in bad.output


def test_forecasts_from_the_cli_are_reproducible(demo_url: str) -> None:
    args = ["forecast", "when", "--team", "checkout", "--items", "25", "--seed", "11", "--database", demo_url]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["predicted"] == json.loads(second.output)["predicted"]
    how = runner.invoke(
        app, ["forecast", "how-many", "--team", "checkout", "--by", "2099-01-01", "--seed", "5", "--database", demo_url]
    )
    assert how.exit_code == 0, how.output
    assert json.loads(how.output)["kind"] == "how_many"


def test_forecast_commitments_and_shared_epics_from_the_cli(demo_url: str) -> None:
    what_if = runner.invoke(
        app, ["forecast", "when", "--team", "checkout", "--items", "33", "--seed", "2", "--database", demo_url]
    )
    assert what_if.exit_code == 0, what_if.output
    stored = json.loads(what_if.output)
    assert stored["commitment"] is None
    committed = runner.invoke(app, ["forecast", "commit", str(stored["id"]), "--database", demo_url])
    assert committed.exit_code == 0, committed.output
    assert json.loads(committed.output)["commitment"] == "plan"
    again = runner.invoke(app, ["forecast", "when", "--team", "checkout", "--items", "33", "--commit", "--database", demo_url])
    assert json.loads(again.output)["id"] == stored["id"]  # the same question today: the same record
    epics = runner.invoke(
        app, ["forecast", "epics", "--team", "checkout", "--allocation", "even", "--seed", "4", "--database", demo_url]
    )
    assert epics.exit_code == 0, epics.output
    body = json.loads(epics.output)
    assert body["allocation"] == "even"
    assert body["forecasts"]
    assert all(f["allocation"].startswith("shared evenly") for f in body["forecasts"])
    missing = runner.invoke(app, ["forecast", "commit", "999999", "--database", demo_url])
    assert missing.exit_code == 1
    assert "No forecast with id 999999." in missing.output


def test_import_csv_command(demo_url: str, tmp_path: Path) -> None:
    examples = Path(__file__).parents[2] / "docs" / "examples"
    runner.invoke(app, ["teams", "create", "Importers", "--time-zone", "Europe/Berlin", "--database", demo_url])
    ok = runner.invoke(
        app,
        [
            "import",
            "csv",
            str(examples / "full-history.csv"),
            "--team",
            "importers",
            "--blocked",
            str(examples / "blocked-periods.csv"),
            "--workflow",
            str(examples / "workflow.csv"),
            "--database",
            demo_url,
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "Importers: 6 items created, 0 updated, 0 unchanged" in " ".join(ok.output.split())
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("key,type,title,created_at,status,entered_at\nA-1,Story,x,2026-01-01,Backlog,later\n", encoding="utf-8")
    bad = runner.invoke(app, ["import", "csv", str(bad_file), "--team", "importers", "--database", demo_url])
    assert bad.exit_code == 1
    assert 'line 2, column "entered_at"' in bad.output
    missing = runner.invoke(app, ["import", "csv", str(tmp_path / "nope.csv"), "--team", "importers", "--database", demo_url])
    assert missing.exit_code == 1
    assert "Cannot read the file" in missing.output


def test_simulate_command(db_url: str) -> None:
    runner.invoke(app, ["db", "upgrade", "--database", db_url])
    result = runner.invoke(app, ["simulate", "--teams", "2", "--months", "3", "--seed", "4", "--database", db_url])
    assert result.exit_code == 0, result.output
    assert "2 teams:" in result.output
    listing = runner.invoke(app, ["teams", "list", "--database", db_url]).output
    assert "Payments" in listing
    assert "Checkout" in listing


def test_impediment_clusters_synonyms_and_blockers_from_the_cli(demo_url: str) -> None:
    listed = runner.invoke(app, ["impediments", "clusters", "--format", "json", "--database", demo_url])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)["items"]
    assert [row["title"] for row in rows].count("No access to production logs") == 1
    [logs] = [row for row in rows if row["title"] == "No access to production logs"]
    assert (len(logs["team_ids"]), len(logs["impediment_ids"]), logs["status"]) == (4, 4, "proposed")
    assert logs["blocked_days"] > 0
    again = runner.invoke(app, ["impediments", "clusters", "--format", "json", "--database", demo_url])
    assert json.loads(again.output)["items"] == rows  # a second round changes nothing
    added = runner.invoke(app, ["impediments", "synonyms", "--add", "DWH=data warehouse", "--database", demo_url])
    assert added.exit_code == 0, added.output
    assert "DWH" in added.output
    assert "change advisory board" in added.output  # the demo's own
    as_json = runner.invoke(app, ["impediments", "synonyms", "--format", "json", "--database", demo_url])
    assert {"DWH": "data warehouse"}.items() <= {
        row["term"]: row["meaning"] for row in json.loads(as_json.output)["items"]
    }.items()
    wrong = runner.invoke(app, ["impediments", "synonyms", "--add", "DWH", "--database", demo_url])
    assert wrong.exit_code == 1
    assert "--add takes TERM=MEANING, e.g. 'CAB=change advisory board'." in " ".join(wrong.output.split())
    linked = runner.invoke(app, ["impediments", "link-blockers", "--database", demo_url])
    assert linked.exit_code == 0, linked.output
    assert "blocked items linked automatically" in " ".join(linked.output.split())
