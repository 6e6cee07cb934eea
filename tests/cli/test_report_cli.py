"""`deliveryops report leadership|digest` against a real SQLite database and a local SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from deliveryops.cli.main import app
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.migrate import upgrade
from tests.cockpit.test_digest import Inbox, _free_port
from tests.cockpit.test_portfolio import CockpitWorld, build_cockpit_world

runner = CliRunner()


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A migrated SQLite file holding the cockpit world; the URL and the people's e-mail addresses."""
    url = f"sqlite:///{tmp_path / 'report.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        world: CockpitWorld = build_cockpit_world(session)
        emails = {"dm": world.dm.email, "ops": world.ops.email, "leader": world.leader.email, "member": world.member.email}
    engine.dispose()
    return url, emails


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_leadership_pack_as_pdf_html_and_json(seeded: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, _emails = seeded
    pdf, html = tmp_path / "pack.pdf", tmp_path / "pack.html"
    result = runner.invoke(
        app,
        [
            "report",
            "leadership",
            "--group",
            "Commerce",
            "--period",
            "2026-10",
            "--pdf",
            str(pdf),
            "--html",
            str(html),
            "--format",
            "json",
            "--database",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "<h1>Leadership pack: Commerce, 2026-10</h1>" in html.read_text(encoding="utf-8")
    body = json.loads(result.output[result.output.index("{") :])
    assert (body["scope"], body["period"], body["previous_period"]) == ("Commerce", "2026-10", "2026-09")
    assert body["headlines"][0]["value"] == 17.0
    assert body["teams"] == ["Alpha", "Beta", "Gamma"]


def test_leadership_pack_errors_are_one_line(seeded: tuple[str, dict[str, str]]) -> None:
    url, _emails = seeded
    both = runner.invoke(app, ["report", "leadership", "--period", "2026-10", "--database", url])
    assert both.exit_code == 1
    assert "Give either --group NAME or --organisation." in _flat(both.output)
    bad = runner.invoke(app, ["report", "leadership", "--organisation", "--period", "2026-Q7", "--database", url])
    assert bad.exit_code == 1
    assert "Unknown period '2026-Q7'." in _flat(bad.output)
    missing = runner.invoke(app, ["report", "leadership", "--group", "Nope", "--period", "2026-10", "--database", url])
    assert "No group named 'Nope'." in _flat(missing.output)
    assert "Traceback" not in bad.output + missing.output


def test_organisation_table(seeded: tuple[str, dict[str, str]]) -> None:
    url, _emails = seeded
    result = runner.invoke(app, ["report", "leadership", "--organisation", "--period", "2026-10", "--database", url])
    assert result.exit_code == 0, result.output
    assert "Whole organisation, 2026-10" in result.output
    assert "Items finished" in result.output


def test_digest_prints_and_sends_once(seeded: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, emails = seeded
    printed = runner.invoke(app, ["report", "digest", "--role", "delivery_manager", "--database", url])
    assert printed.exit_code == 0, printed.output
    assert f"--- {emails['dm']} ---" in printed.output
    off = runner.invoke(app, ["report", "digest", "--send", "--database", url])
    assert off.exit_code == 1
    assert "E-mail is off: set DELIVERYOPS_SMTP_HOST" in _flat(off.output)
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("DELIVERYOPS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DELIVERYOPS_SMTP_PORT", str(port))
        sent = runner.invoke(app, ["report", "digest", "--send", "--to", emails["leader"], "--database", url])
        assert sent.exit_code == 0, sent.output
        assert f"sent: {emails['leader']}" in sent.output
        again = runner.invoke(app, ["report", "digest", "--send", "--to", emails["leader"], "--database", url])
        assert "1 skipped" in again.output
        member = runner.invoke(app, ["report", "digest", "--send", "--to", emails["member"], "--database", url])
        assert member.exit_code == 1
        assert "is a team member; digests are for delivery managers" in _flat(member.output)
    finally:
        controller.stop()
    assert [to for to, _message in inbox.messages] == [[emails["leader"]]]
