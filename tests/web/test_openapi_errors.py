"""The OpenAPI schema documents the error answers every operation may give, in the app's one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from tests.factories import make_team, make_user, token_headers

ERROR_SHAPE = {"$ref": "#/components/schemas/ErrorResponse"}


def _operations(schema: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    paths = schema["paths"]
    assert isinstance(paths, dict)
    return [
        (method, path, operation)
        for path, item in paths.items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_api_operation_documents_400_422_and_500_in_the_error_shape(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    operations = _operations(schema)
    assert len(operations) > 50
    for method, path, operation in operations:
        responses = operation["responses"]
        assert isinstance(responses, dict)
        for status in ("400", "422", "500"):
            assert status in responses, (method, path, status)
            assert responses[status]["content"]["application/json"]["schema"] == ERROR_SHAPE, (method, path, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    upload = schema["paths"]["/api/v1/teams/{team_id}/imports"]["post"]["responses"]
    assert upload["413"]["content"]["application/json"]["schema"] == ERROR_SHAPE


def test_a_body_that_cannot_be_parsed_answers_400_in_the_error_shape(client: TestClient, session: Session) -> None:
    team = make_team(session)
    headers = token_headers(session, make_user(session, role=Role.ADMIN))
    response = client.post(
        f"/api/v1/teams/{team.id}/imports",
        content=b"--broken\r\nnot a multipart body",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=other"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"
