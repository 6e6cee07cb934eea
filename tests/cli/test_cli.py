"""The command line: help everywhere, clean errors, and the real database commands."""

from __future__ import annotations

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
    undocumented = [" ".join(path) for path, command in ALL_COMMANDS
                    if not hasattr(command, "commands") and f"deliveryops {' '.join(path)}" not in guide]
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
    assert "up to date" in status.output
    assert runner.invoke(app, ["groups", "create", "Commerce", "--database", db_url]).exit_code == 0
    created = runner.invoke(app, ["teams", "create", "Payments", "--time-zone", "Europe/Berlin", "--group", "commerce",
                                  "--database", db_url])
    assert created.exit_code == 0, created.output
    assert "Created team Payments (payments)." in created.output
    listing = runner.invoke(app, ["teams", "list", "--database", db_url])
    assert "Payments" in listing.output
    assert "Europe/Berlin" in listing.output
    assert "Payments" in runner.invoke(app, ["groups", "list", "--database", db_url]).output
    user = runner.invoke(app, ["users", "create", "--email", "root@example.com", "--role", "admin",
                               "--password", "long enough password", "--database", db_url])
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
    short = runner.invoke(app, ["users", "create", "--email", "a@example.com", "--password", "short",
                                "--database", db_url])
    assert short.exit_code == 1
    assert "password: Use at least 10 characters." in short.output
    for result in (bad_group, bad_zone, short):
        assert "Traceback" not in result.output


def test_demo_without_serving(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["demo", "--database", url, "--no-serve", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com" in result.output
    assert "Password:" in result.output
    teams = runner.invoke(app, ["teams", "list", "--database", url])
    for name in ("Payments", "Checkout", "Growth", "Search", "Mobile", "Data Platform"):
        assert name in teams.output
    rerun = runner.invoke(app, ["demo", "--database", url, "--no-serve", "--seed", "3"])
    assert rerun.exit_code == 0, rerun.output
