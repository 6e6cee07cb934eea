"""The experiments API and pages: CRUD, transitions, statistics upload (JSON and CSV), results, power,
library search, portfolio, and the pages' forms with their messages (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.experiments import service
from deliveryops.experiments.models import Experiment, ExperimentStatus, MetricSnapshot
from tests.experiments.builders import DAY, crew, rows, running, with_statistics
from tests.factories import csrf_from, login, token_headers

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"

BODY = {
    "title": "Express checkout",
    "observation": "carts abandoned at the address step",
    "belief": "express pay",
    "outcome": "more orders",
    "measure": "conversion",
    "variations": [{"name": "control", "is_control": True}, {"name": "express"}],
    "metrics": [
        {"name": "conversion", "kind": "proportion", "role": "primary"},
        {"name": "refunds", "kind": "proportion", "role": "guardrail", "higher_is_better": False},
    ],
    "tags": ["checkout"],
    "planned_sample_size": 3000,
    "mde": 0.05,
}


def test_api_create_read_patch_and_move(client: TestClient, session: Session) -> None:
    c = crew(session)
    headers = token_headers(session, c.member)
    created = client.post("/api/v1/experiments", json={**BODY, "team_id": c.team.id}, headers=headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert (data["key"], data["status"], data["next_statuses"]) == ("express-checkout", "draft", ["in_review"])
    assert [c["passed"] for c in data["checks"]] == [True, True, True]
    patched = client.patch(
        f"/api/v1/experiments/{data['id']}", json={"planned_sample_size": None, "tags": ["a"]}, headers=headers
    )
    assert patched.status_code == 200
    assert (patched.json()["planned_sample_size"], patched.json()["tags"], patched.json()["title"]) == (
        None,
        ["a"],
        "Express checkout",
    )
    moved = client.post(f"/api/v1/experiments/{data['id']}/transitions", json={"to": "in_review"}, headers=headers)
    assert moved.json()["status"] == "in_review"
    blocked = client.post(f"/api/v1/experiments/{data['id']}/transitions", json={"to": "running"}, headers=headers)
    assert blocked.status_code == 422
    assert blocked.json()["error"] == {
        "code": "validation_failed",
        "message": "It cannot run yet: a planned sample size is missing.",
        "details": {
            "fields": {
                "planned_sample_size": "Set the planned sample size per variation (the power calculator gives it from the MDE)."
            }
        },
    }
    bad = client.post("/api/v1/experiments", json={**BODY, "team_id": c.team.id, "variations": [{"name": "x"}]}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"] == {
        "variations": "Give at least two variations: a control and one treatment."
    }


def test_api_scope(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    outsider = token_headers(session, c.outsider)
    assert client.get(f"/api/v1/experiments/{experiment.id}", headers=outsider).status_code == 403
    assert client.get("/api/v1/experiments", headers=outsider).json() == {"items": [], "total": 0, "limit": 100, "offset": 0}
    assert client.post("/api/v1/experiments", json={**BODY, "team_id": c.team.id}, headers=outsider).status_code == 403
    leader = token_headers(session, c.leader)
    assert [e["id"] for e in client.get("/api/v1/experiments", headers=leader).json()["items"]] == [experiment.id]
    assert (
        client.post(f"/api/v1/experiments/{experiment.id}/transitions", json={"to": "analysing"}, headers=leader).status_code
        == 403
    )
    assert client.get("/api/v1/experiments/portfolio", headers=token_headers(session, c.member)).status_code == 403


def test_api_statistics_json_and_results(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team, planned_end=DAY + timedelta(days=3))
    headers = token_headers(session, c.member)
    payload = {
        "period": "cumulative",
        "rows": [
            {
                "date": r.day.isoformat(),
                "metric": r.metric,
                "variation": r.variation,
                "n": r.n,
                "sum": r.sum,
                "sum_squares": None if r.metric != "order value" else r.sum_squares,
            }
            for r in rows()
        ],
    }
    stored = client.post(f"/api/v1/experiments/{experiment.id}/statistics", json=payload, headers=headers)
    assert stored.json() == {"rows": 6, "days": 1, "first_day": "2026-11-02", "last_day": "2026-11-02", "snapshots": 6}
    missing = {**payload, "rows": [{**payload["rows"][1], "sum_squares": None}]}  # type: ignore[dict-item]
    refused = client.post(f"/api/v1/experiments/{experiment.id}/statistics", json=missing, headers=headers)
    assert refused.json()["error"]["message"] == (
        "Row 1, field sum_squares: a mean metric needs sum_squares. Nothing was imported."
    )
    result = client.get(f"/api/v1/experiments/{experiment.id}/results", headers=headers).json()
    assert (result["method"], result["units"], result["warnings"]) == ("frequentist", {"control": 4000, "one-page": 4000}, [])
    conversion = next(r for r in result["results"] if r["metric"] == "conversion")
    assert (round(conversion["lift"], 4), conversion["significant"]) == (0.3, True)
    bayes = client.get(f"/api/v1/experiments/{experiment.id}/results?method=bayesian", headers=headers).json()
    assert bayes["method"] == "bayesian"


def test_api_csv_upload_reports_line_and_column(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    headers = token_headers(session, c.member)
    text = (
        "date,metric,kind,variation,n,sum,sum_squares\n"
        "2026-11-02,conversion,proportion,control,100,10,10\n"
        "2026-11-02,conversion,proportion,one-page,100,abc,\n"
    )
    response = client.post(
        f"/api/v1/experiments/{experiment.id}/statistics.csv",
        headers=headers,
        files={"file": ("stats.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == 'stats.csv: line 3, column sum: expected a number, got "abc"'
    unknown = text.replace("abc,", "12,").replace("conversion,proportion,one-page", "clicks,proportion,one-page")
    unknown = unknown.replace("conversion,proportion,control", "clicks,proportion,control")
    response = client.post(
        f"/api/v1/experiments/{experiment.id}/statistics.csv",
        headers=headers,
        files={"file": ("stats.csv", unknown.encode(), "text/csv")},
    )
    assert response.json()["error"]["message"] == (
        "Line 2, column metric: no metric 'clicks' in this experiment "
        "(it has: conversion, errors, order value). Nothing was imported."
    )
    wrong_kind = (
        text.replace("abc,", "12,").replace("proportion", "mean").replace(",10,10", ",10,12").replace(",12,\n", ",12,20\n")
    )
    response = client.post(
        f"/api/v1/experiments/{experiment.id}/statistics.csv",
        headers=headers,
        files={"file": ("stats.csv", wrong_kind.encode(), "text/csv")},
    )
    assert response.json()["error"]["message"] == (
        "stats.csv: line 2, column kind: 'conversion' is registered as a "
        "proportion metric, the file says mean. Nothing was imported."
    )
    good = text.replace("abc,", "12,")
    response = client.post(
        f"/api/v1/experiments/{experiment.id}/statistics.csv",
        headers=headers,
        files={"file": ("stats.csv", good.encode(), "text/csv")},
    )
    assert response.json()["snapshots"] == 2
    assert len(session.scalars(select(MetricSnapshot).where(MetricSnapshot.experiment_id == experiment.id)).all()) == 2


def test_api_power_and_portfolio(client: TestClient, session: Session) -> None:
    c = crew(session)
    headers = token_headers(session, c.ops)
    planned = client.get(
        "/api/v1/experiments/power?kind=proportion&baseline=0.1&mde=0.1&daily_traffic=1000", headers=headers
    ).json()
    assert (planned["sample_per_variation"], planned["total_sample"], planned["duration_days"]) == (14749, 29498, 30)
    bad = client.get("/api/v1/experiments/power?kind=proportion&baseline=1.5&mde=0.1", headers=headers)
    assert bad.json()["error"]["details"]["fields"] == {"baseline": "baseline_rate must be between 0 and 1, got 1.5"}
    running(session, c.member, c.team)
    result = client.get("/api/v1/experiments/portfolio", headers=headers).json()
    assert result["totals"]["running"] == 1
    assert [(r["team_id"], r["preregistered_share"]) for r in result["rows"]] == [(c.team.id, 1.0)]


def _form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "title": "Saved carts",
        "observation": "returning users lose carts",
        "belief": "saving carts",
        "outcome": "more returning orders",
        "measure": "7-day conversion",
        "variations.0.name": "control",
        "variations.0.weight": "1",
        "variations.1.name": "saved",
        "variations.1.weight": "1",
        "variations.2.name": "",
        "variations.2.weight": "1",
        "variations.*.is_control": "0",
        "metrics.0.name": "conversion",
        "metrics.0.kind": "proportion",
        "metrics.0.role": "primary",
        "metrics.0.higher_is_better": "true",
        "metrics.1.name": "",
        "metrics.1.kind": "proportion",
        "metrics.1.role": "secondary",
        "metrics.1.higher_is_better": "true",
        "tags": "retention, carts",
        "planned_sample_size": "2,500",
        "mde": "5",
        "alpha": "0.05",
        "method": "sequential",
        "correction": "none",
    }
    form.update(overrides)
    return form


def test_pages_create_fail_check_fix_run_upload_and_decide(client: TestClient, session: Session) -> None:
    c = crew(session)
    login(client, c.member.email)
    page = client.get(f"/experiments/new?team={c.team.slug}")
    assert page.status_code == 200
    assert "Because we saw …" in page.text
    csrf = csrf_from(page.text)
    bad = client.post(
        "/experiments/new", data={**_form(title="", planned_sample_size="lots"), "csrf_token": csrf, "team_id": str(c.team.id)}
    )
    assert bad.status_code == 422
    assert "Give the experiment a title." in bad.text
    assert "The planned sample size is a whole number, e.g. 12000; got &#39;lots&#39;." in bad.text
    assert 'value="returning users lose carts"' not in bad.text
    assert "returning users lose carts" in bad.text
    created = client.post(
        "/experiments/new", data={**_form(planned_sample_size=""), "csrf_token": csrf, "team_id": str(c.team.id)}
    )
    assert created.status_code == 303
    experiment_id = int(created.headers["location"].rsplit("/", 1)[1])
    experiment = session.get(Experiment, experiment_id)
    assert experiment is not None
    assert (experiment.mde, experiment.tag_names, experiment.method.value) == (0.05, ["carts", "retention"], "sequential")
    detail = f"/experiments/{experiment_id}"
    client.post(f"{detail}/transition", data={"to": "in_review", "csrf_token": csrf})
    failing = client.post(f"{detail}/transition", data={"to": "running", "csrf_token": csrf})
    assert failing.status_code == 422
    assert "It cannot run yet: a planned sample size is missing." in failing.text
    fields = service.design_of(experiment)
    edit = client.get(f"{detail}/edit")
    assert 'name="planned_sample_size"' in edit.text
    fixed = client.post(f"{detail}/edit", data={**_form(), "csrf_token": csrf})
    assert fixed.status_code == 303, fixed.text
    session.expire_all()
    assert experiment.planned_sample_size == 2500
    assert fields.planned_sample_size is None
    assert client.post(f"{detail}/transition", data={"to": "running", "csrf_token": csrf}).status_code == 303
    upload = client.post(
        f"{detail}/statistics",
        data={"csrf_token": csrf, "period": "cumulative"},
        files={
            "file": (
                "s.csv",
                b"metric,kind,variation,n,sum\nconversion,proportion,control,2500,250\nconversion,proportion,saved,2500,300\n",
                "text/csv",
            )
        },
    )
    assert upload.status_code == 303, upload.text
    results = client.get(detail)
    assert "Lift by metric and variation" in results.text
    assert "+20.00%" in results.text
    assert 'id="warning-peeking"' not in results.text  # sequential
    client.post(f"{detail}/transition", data={"to": "analysing", "csrf_token": csrf})
    no_reason = client.post(f"{detail}/decision", data={"decision": "ship", "rationale": "", "csrf_token": csrf})
    assert no_reason.status_code == 422
    assert "Give the rationale: what in the results, and what else, led to the decision." in no_reason.text
    decided = client.post(
        f"{detail}/decision",
        data={"decision": "ship", "rationale": "+20% conversion", "learnings": "Saved carts matter", "csrf_token": csrf},
    )
    assert decided.status_code == 303
    session.expire_all()
    assert (experiment.status, experiment.learnings) == (ExperimentStatus.DECIDED, "Saved carts matter")
    library = client.get("/experiments?q=saved+carts")
    assert "Saved carts" in library.text
    assert "1 experiment<" in library.text


def test_pages_library_empty_states_and_scope(client: TestClient, session: Session) -> None:
    c = crew(session)
    login(client, c.outsider.email)
    assert "No experiments yet" in client.get("/experiments").text
    assert "Nothing matches" in client.get("/experiments?q=zzz").text
    experiment = running(session, c.member, c.team)
    assert client.get(f"/experiments/{experiment.id}").status_code == 403
    assert client.get("/experiments/portfolio").status_code == 403
    power = client.get("/experiments/power?kind=mean&baseline=50&standard_deviation=10&mde=2&variations=3&daily_traffic=500")
    match = re.search(r'<span class="value">([\d,]+)</span><span class="label">units per variation', power.text)
    assert match is not None
    assert match.group(1) == "1,902"
    wrong = client.get("/experiments/power?kind=mean&baseline=50&mde=2")
    assert wrong.status_code == 422
    assert "A mean needs the per-unit standard deviation." in wrong.text


def test_pages_review_and_warnings(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = service.create(
        session=session, actor=c.member, team_id=c.team.id, design=service.design_of(running(session, c.member, c.team))
    )
    experiment.reviewer_required = True
    service.transition(session=session, actor=c.member, experiment_id=experiment.id, to=ExperimentStatus.IN_REVIEW)
    csrf = login(client, c.ops.email)
    approved = client.post(f"/experiments/{experiment.id}/review", data={"approve": "true", "csrf_token": csrf})
    session.expire_all()
    assert approved.status_code == 303
    assert experiment.approved is True
    peeked = running(session, c.member, c.team, planned_end=DAY + timedelta(days=3650))
    with_statistics(session, c.member, peeked, rows(control=(1000, 100), treatment=(700, 70), errors=(10, 40)))
    page = client.get(f"/experiments/{peeked.id}").text
    for code in ("srm", "underpowered", "peeking", "guardrail"):
        assert f'id="warning-{code}"' in page
    assert "/experiments/methods#frequentist" in page
    assert client.get("/experiments/methods").status_code == 200


def test_api_refuses_unreadable_files_and_out_of_range_ids(client: TestClient, session: Session) -> None:
    c = crew(session)
    experiment = running(session, c.member, c.team)
    headers = token_headers(session, c.member)
    huge = b"metric,variation,n,sum\n" + b"a" * 200_000 + b",b,1,1\n"
    response = client.post(
        f"/api/v1/experiments/{experiment.id}/statistics.csv", headers=headers, files={"file": ("big.csv", huge, "text/csv")}
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "big.csv: line 2: not a readable CSV file (field larger than field limit (131072)). Nothing was imported."
    )
    ops = token_headers(session, c.ops)
    assert (
        client.get("/api/v1/experiments/portfolio?team_id=99999999999", headers=ops).json()["error"]["message"]
        == "A team id is a whole number from 1 to 2147483647."
    )
    too_many = client.patch(
        f"/api/v1/experiments/{experiment.id}", json={"expected_daily_traffic": 3_000_000_000}, headers=headers
    )
    assert too_many.status_code == 422


def test_portfolio_page_shows_the_figures_and_chart(client: TestClient, session: Session) -> None:
    c = crew(session)
    login(client, c.leader.email)
    assert "No experiments in this period" in client.get("/experiments/portfolio").text
    running(session, c.member, c.team)
    page = client.get("/experiments/portfolio")
    assert page.status_code == 200
    assert "Experiments by team and status" in page.text
    assert "/experiments/methods#portfolio" in page.text
    row = re.search(rf'<th scope="row"><a href="/teams/{c.team.slug}/experiments">[^<]+</a></th>(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["0", "0", "1", "0", "0", "0", "100%", "0%", "—", "—"]
    bad = client.get("/experiments/portfolio?from=yesterday")
    assert bad.status_code == 422
    assert "From: expected a date like 2026-03-31, got &#39;yesterday&#39;." in bad.text
