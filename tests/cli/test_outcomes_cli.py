"""`deliveryops outcomes`: import KPI values (all or nothing), list, show and export as JSON and CSV."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deliveryops.cli.main import app
from deliveryops.db import utcnow
from deliveryops.migrate import upgrade
from deliveryops.outcomes import series, service
from deliveryops.outcomes.models import SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, ObjectiveCreate, SeriesCreate
from tests.factories import make_group

runner = CliRunner()


def test_import_list_show_export(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    upgrade(engine)
    start = utcnow().date() - timedelta(days=27)
    with Session(engine) as session:
        group = make_group(session, name="Commerce")
        kpi, _token = series.create(session=session, actor=None, body=SeriesCreate(name="Sign-ups", group_id=group.id))
        period = f"{start.isoformat()}..{(start + timedelta(days=90)).isoformat()}"
        objective = service.create_objective(
            session=session,
            actor=None,
            body=ObjectiveCreate(title="Grow", group_id=group.id, period=period),
            today=utcnow().date(),
        )
        body = KeyResultCreate(
            title="Sign-ups to 21", source=SourceKind.KPI, series_id=kpi.id, baseline=11, target=21, direction="increase"
        )
        kr = service.add_key_result(session=session, actor=None, objective=objective, body=body)
        session.commit()
        kr_id = kr.id
    lines = [f"{(start - timedelta(weeks=6 - i)).isoformat()},{v}" for i, v in enumerate([10, 12, 10, 12, 10, 12])]
    lines += [f"{(start + timedelta(weeks=i)).isoformat()},{v}" for i, v in enumerate([16, 18, 16, 18])]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,value\n" + lines[0] + "\n2026-13-01,4\n", encoding="utf-8")
    failed = runner.invoke(app, ["outcomes", "import", "Sign-ups", str(bad), "--database", url])
    assert failed.exit_code != 0
    assert "Line 3, column date: expected a date like 2026-10-05, got '2026-13-01'." in failed.output
    good = tmp_path / "good.csv"
    good.write_text("date,value\n" + "\n".join(lines) + "\n", encoding="utf-8")
    done = runner.invoke(app, ["outcomes", "import", "Sign-ups", str(good), "--format", "json", "--database", url])
    assert json.loads(done.output) == {"series_id": 1, "written": 10}
    listed = json.loads(runner.invoke(app, ["outcomes", "list", "--format", "json", "--database", url]).output)
    assert [(kr["title"], kr["status"], kr["current"]) for kr in listed["items"][0]["key_results"]] == [
        ("Sign-ups to 21", "on_track", 17.0)
    ]
    shown = json.loads(runner.invoke(app, ["outcomes", "show", str(kr_id), "--format", "json", "--database", url]).output)
    assert len(shown["points"]) == 10
    exported = runner.invoke(app, ["outcomes", "export", "--database", url]).output
    assert exported.splitlines()[0].startswith("objective_id,objective,scope,period")
    assert exported.splitlines()[1].endswith(",on_track")
