"""`deliveryops catalogue checks` against a real, migrated SQLite database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from deliveryops.cli.main import app
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.db import make_engine, make_session_factory, unit_of_work, utcnow
from deliveryops.dora.models import Deployment
from deliveryops.migrate import upgrade
from tests.factories import make_team

runner = CliRunner()


def test_catalogue_checks_as_json_and_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with unit_of_work(make_session_factory(engine)) as session:
        team = make_team(session, name="Payments")
        cd = catalogue.create(
            session=session, actor=None, kind="tool", name="Pipelines", category="CI/CD", data_check="deployments"
        )
        catalogue.create(
            session=session, actor=None, kind="tool", name="Chat", category="communication", data_check="not_observable"
        )
        catalogue.create(session=session, actor=None, kind="tool", name="Wiki", category="documentation")  # no check
        adoption.set_state(session=session, actor=None, team_id=team.id, entry_id=cd.id, state="adopted")
        for days in (1, 2):  # two deployments in one week: declared adopted, the data says no
            session.add(
                Deployment(
                    team_id=team.id,
                    source="api",
                    external_id=f"d{days}",
                    repository="acme/pay",
                    environment="production",
                    result="success",
                    started_at=now - timedelta(days=days),
                    status_at=now - timedelta(days=days),
                )
            )
    engine.dispose()

    result = runner.invoke(app, ["catalogue", "checks", "--format", "json", "--database", url])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["items"]
    assert [(r["entry_name"], r["state"], r["result"]["confirmed"], r["mismatch"], r["result"]["observable"]) for r in rows] == [
        ("Chat", "not_started", None, False, False),
        ("Pipelines", "adopted", False, True, True),
    ]
    assert rows[1]["result"]["certainty"] == "weak: 2 deployments in 8 weeks"
    assert rows[1]["result"]["evidence"].startswith("2 deployments in the last 8 weeks, in 1 of the 8 weeks")

    table = runner.invoke(app, ["catalogue", "checks", "--team", "payments", "--entry", "Pipelines", "--database", url])
    assert table.exit_code == 0, table.output
    assert ("Pipelines" in table.output, "mismatch" in table.output, "Chat" in table.output) == (True, True, False)
    missing = runner.invoke(app, ["catalogue", "checks", "--team", "nope", "--database", url])
    assert (missing.exit_code, "No team named 'nope'" in missing.output) == (1, True)


def test_catalogue_rollout_effect_as_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rollout.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        catalogue.create(session=session, actor=None, kind="practice", name="Pairing", category="flow")
        make_team(session, name="Alpha")
        make_team(session, name="Beta")
    engine.dispose()
    args = ["catalogue", "rollout-effect", "Pairing", "--team", "Alpha", "--team", "Beta", "--format", "json"]
    result = runner.invoke(app, [*args, "--database", url])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert (row["outcome"], row["effect"], row["adopted_teams"]) == ("not_enough_evidence", None, 0)
    unknown = runner.invoke(app, ["catalogue", "rollout-effect", "Nope", "--team", "Alpha", "--database", url])
    assert unknown.exit_code != 0
    assert "No catalogue entry named 'Nope'" in unknown.output
