"""`deliveryops notify add` asks for the URL without echo, stores it encrypted and prints only its hint."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from deliveryops.cli.main import app
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.migrate import upgrade
from deliveryops.notify.models import TeamWebhook
from tests.factories import make_team

runner = CliRunner()
URL = "https://hooks.slack.com/services/T0/B0/cliSecret42"


def test_add_prompts_for_the_url_and_shows_a_hint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        make_team(session, name="Payments")
    added = runner.invoke(
        app,
        [
            "notify",
            "add",
            "payments",
            "--kind",
            "slack",
            "--name",
            "#pay",
            "--event",
            "digest",
            "--event",
            "retro_finished",
            "--database",
            url,
        ],
        input=URL + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "Added #pay (slack, https://hooks.slack.com/\u2026et42) posting digest, retro_finished." in added.output
    assert "cliSecret42" not in added.output
    listed = runner.invoke(app, ["notify", "webhooks", "payments", "--database", url])
    assert "#pay" in listed.output
    assert "cliSecret42" not in listed.output
    with unit_of_work(make_session_factory(engine)) as session:
        stored = session.scalars(select(TeamWebhook)).one()
        assert "cliSecret42" not in stored.url_encrypted
    refused = runner.invoke(
        app, ["notify", "add", "payments", "--kind", "fax", "--name", "#x", "--database", url], input="http://x.example/y\n"
    )
    assert refused.exit_code == 1
    engine.dispose()
