"""Strict input: unknown body fields and unknown query parameters are refused, by name."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Tokens
from tests.prices.test_prices_api import muse_mango
from tests.producers.test_producers_api import farmer


def _body_schemas(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Every component schema a request body reaches (directly or nested), with where from."""
    schemas = spec["components"]["schemas"]
    found: dict[str, list[str]] = {}

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else []
            return own + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for item in node for r in refs(item)]
        return []

    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            todo = refs(op.get("requestBody", {}))
            while todo:
                name = todo.pop()
                if name in found:
                    continue
                found[name] = [f"{method.upper()} {path}"]
                todo.extend(refs(schemas[name]))
    return found


async def test_every_request_body_model_forbids_unknown_fields(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    reached = _body_schemas(spec)
    assert {"PriceCreate", "ProducerCreate", "ConsentIn", "RejectRequest"} <= set(reached)
    lenient = {
        name: where
        for name, where in reached.items()
        if spec["components"]["schemas"][name].get("type") == "object"
        and spec["components"]["schemas"][name].get("additionalProperties") is not False
    }
    assert lenient == {}


async def test_a_misspelt_field_is_refused_by_name_and_nothing_is_stored(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = muse_mango()
    body["varietyy"] = body.pop("variety")
    response = await client.post("/api/v1/prices", headers=tokens.cde_mm, json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "varietyy"]
    assert error["msg"].startswith("unknown field 'varietyy'; did you mean 'variety'?")
    listed = (await client.get("/api/v1/prices", headers=tokens.cde_mm)).json()
    assert listed["items"] == []


async def test_a_misspelt_nested_field_is_named_with_its_model_fields(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        "/api/v1/producers",
        headers=tokens.cde_mm,
        json=farmer(consent={"chanel": "paper"}),
    )
    assert response.status_code == 422, response.text
    messages = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert messages[("body", "consent", "chanel")].startswith(
        "unknown field 'chanel'; did you mean 'channel'?"
    )


async def test_reject_without_a_body_says_reason_is_required(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())
    response = await client.post(
        f"/api/v1/prices/{created.json()['id']}/reject", headers=tokens.cde_mm
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["msg"] == "'reason' is required: send a JSON body with 'reason'"


async def test_unknown_query_parameters_are_refused_on_every_route(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    spec = (await client.get("/openapi.json")).json()
    listed = [p for p, ops in spec["paths"].items() if "get" in ops and "{" not in p]
    assert "/api/v1/producers" in listed and "/api/v1/prices/series" in listed
    lenient = {}
    for path in listed:
        if not path.startswith("/api/v1"):
            continue
        response = await client.get(path, params={"zzz": "1"}, headers=tokens.admin)
        locs = [e["loc"] for e in response.json().get("detail", [])]
        if response.status_code != 422 or ["query", "zzz"] not in locs:
            lenient[path] = response.status_code
    assert lenient == {}


async def test_an_unknown_filter_is_named_with_what_the_list_takes(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get("/api/v1/prices?comodity=mango", headers=tokens.cde_mm)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "comodity"]
    assert error["msg"].startswith("unknown query parameter 'comodity'; did you mean 'commodity'?")
    assert "this endpoint takes commodity, country, cursor, from" in error["msg"]
