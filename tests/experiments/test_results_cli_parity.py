"""An experiment's results through the API and the same statistics through `deliveryops experiments analyse`:
one contract (ExperimentResultsRead), the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deliveryops.cli.main import app as cli_app
from tests.experiments.builders import crew, rows, running, with_statistics
from tests.factories import token_headers

# The builders' design: kind, role and direction of each metric.
DESIGN = {
    "conversion": ("proportion", "primary", "true"),
    "order value": ("mean", "secondary", "true"),
    "errors": ("proportion", "guardrail", "false"),
}


def test_api_results_and_cli_analysis_of_the_same_statistics_agree(client: TestClient, session: Session, tmp_path: Path) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    data = rows(treatment=(4100, 520))
    with_statistics(session, c.member, experiment, data)
    headers = token_headers(session, c.member)
    api = client.get(
        f"/api/v1/experiments/{experiment.id}/results", params={"method": "frequentist", "correction": "holm"}, headers=headers
    ).json()

    path = tmp_path / "stats.csv"
    lines = ["date,metric,kind,variation,n,sum,sum_squares,role,higher_is_better"]
    for row in data:
        kind, role, higher = DESIGN[row.metric]
        lines.append(f"{row.day},{row.metric},{kind},{row.variation},{row.n},{row.sum},{row.sum_squares},{role},{higher}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli_app, ["experiments", "analyse", str(path), "--method", "frequentist", "--correction", "holm", "--weights", "1,1"]
    )
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)

    assert set(api) < set(cli)  # the file's analysis adds the file, its variations and the options
    assert cli["results"] == api["results"]
    assert [r["metric"] for r in api["results"]] == ["conversion", "order value", "errors"]
    assert cli["srm"] == api["srm"]
    assert (cli["method"], cli["correction"], cli["units"], cli["last_day"]) == (
        api["method"],
        api["correction"],
        api["units"],
        api["last_day"],
    )
    assert api["units"] == {"control": 4000, "one-page": 4100}
    assert all(set(w) == {"code", "message"} for w in [*api["warnings"], *cli["warnings"]])
