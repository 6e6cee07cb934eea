"""The power calculator answers 200 or a 422 naming a field, whatever numbers it is given (never a 500)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.factories import make_user, token_headers

FIELDS = {
    "kind",
    "baseline",
    "standard_deviation",
    "mde",
    "sample_per_variation",
    "variations",
    "alpha",
    "power",
    "daily_traffic",
}
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1, allow_subnormal=True),
    st.sampled_from([5e-324, 1e-300, 1e-12, 2.2e-308, 1e308, -0.0, 0.0, 1.0, 0.5, 100.0]),
)


Params = dict[str, str | int | float]


def _check(client: TestClient, headers: dict[str, str], params: Params) -> None:
    response = client.get("/api/v1/experiments/power", params=params, headers=headers)
    assert response.status_code in (200, 422), (params, response.status_code, response.text)
    body = response.json()
    if response.status_code == 422:
        fields = body["error"]["details"]["fields"]
        assert fields
        assert set(fields) <= FIELDS, fields
    else:
        assert body["sample_per_variation"] >= 1
        assert body["sample_per_variation"] <= 10**12


def test_the_reported_case_is_a_422_naming_the_mde(client: TestClient, session: Session) -> None:
    headers = token_headers(session, make_user(session))
    params: Params = {"kind": "proportion", "baseline": 0.1, "mde": 5e-324, "alpha": 0.05, "power": 0.8}
    response = client.get("/api/v1/experiments/power", params=params, headers=headers)
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == ["mde"]
    slow = client.get("/api/v1/experiments/power", params={**params, "mde": 0.05, "daily_traffic": 5e-324}, headers=headers)
    assert list(slow.json()["error"]["details"]["fields"]) == ["daily_traffic"]


def test_fuzzed_numbers_never_answer_a_server_error(client: TestClient, session: Session) -> None:
    headers = token_headers(session, make_user(session))

    @given(
        kind=st.sampled_from(["proportion", "mean"]),
        baseline=NUMBERS,
        standard_deviation=st.one_of(st.none(), NUMBERS),
        mde=st.one_of(st.none(), NUMBERS),
        sample_per_variation=st.one_of(st.none(), st.integers(min_value=1, max_value=10**12)),
        alpha=NUMBERS,
        power=NUMBERS,
        daily_traffic=st.one_of(st.none(), NUMBERS),
    )
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(**params: str | int | float | None) -> None:
        _check(client, headers, {key: value for key, value in params.items() if value is not None})

    check()
