"""Every list endpoint of the JSON API answers a page (`items`, `total`, `limit`, `offset`) and takes
`limit` and `offset`, read from the app's OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

# Every list endpoint is paged (the jobs list is a page with the counts per state added), except an export,
# which is a file to download whole, not a collection to page through.
NOT_PAGED = {"/api/v1/dependencies/export"}


def _is_array(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return any(option.get("type") == "array" for option in options)


def _is_page(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    for option in options:
        ref = option.get("$ref", "")
        found = components.get(ref.rsplit("/", 1)[-1], {}) if ref else option
        if set(found.get("properties", {})) >= {"items", "total", "limit", "offset"}:
            return True
    return False


def test_every_list_endpoint_answers_a_page_and_takes_limit_and_offset(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    unpaged, without_parameters, pages = [], [], 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or path in NOT_PAGED:
            continue
        content = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        answer = content.get("schema", {})
        if _is_array(answer):
            unpaged.append(path)
        elif _is_page(answer, components):
            pages += 1
            names = {parameter["name"] for parameter in get.get("parameters", [])}
            if not {"limit", "offset"} <= names:
                without_parameters.append(path)
    assert unpaged == []
    assert without_parameters == []
    assert pages >= 25
