"""The roadmap CSV page reads its cut date through the form adapter (issue 17): a date gives that cut line,
text that is not a date the default one."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.db import utcnow
from tests.factories import join, login, make_user
from tests.roadmap.helpers import small_group


def cut_lines(client: TestClient, url: str) -> set[str]:
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    return {row["cut_date"] for row in csv.DictReader(io.StringIO(answer.text))}


def test_the_csv_cut_date_is_read_as_a_date(client: TestClient, session: Session) -> None:
    today = utcnow().date()
    org = small_group(session, today)
    cut = (today + timedelta(days=200)).isoformat()
    member = make_user(session)
    join(session, org.berlin, member)
    login(client, member.email)
    url = f"/groups/{org.group.slug}/roadmap.csv"
    default = cut_lines(client, url)
    assert cut_lines(client, f"{url}?cut={cut}") == {cut}
    assert cut_lines(client, f"{url}?cut=soon") == default
    assert default != {cut}
