"""API quality: documented examples, one error shape, timestamps with their offset."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Tokens


async def test_every_request_body_has_an_example(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    missing = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody")
            if not body:
                continue
            for media in body["content"].values():
                ref = media.get("schema", {}).get("$ref") or next(
                    (
                        s.get("$ref")
                        for s in media.get("schema", {}).get("anyOf", [])
                        if "$ref" in s
                    ),
                    None,
                )
                schema = schemas[ref.rsplit("/", 1)[1]] if ref else media.get("schema", {})
                if "example" not in media and "examples" not in schema:
                    missing.append(f"{method.upper()} {path}")
    assert missing == []


async def test_timestamps_carry_their_offset_and_audit_is_scoped(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    r = await client.post(
        "/api/v1/notices",
        headers=tokens.cde_mm,
        json={"texts": {"en": "Rain"}, "countries": ["MM"]},
    )
    assert re.search(r"(Z|[+-]\d\d:\d\d)$", r.json()["created_at"])
    mm = (await client.get("/api/v1/audit", headers=tokens.cde_mm)).json()["items"]
    assert [e["action"] for e in mm] == ["notice.create"]
    assert re.search(r"(Z|[+-]\d\d:\d\d)$", mm[0]["at"])
    assert (await client.get("/api/v1/audit", headers=tokens.cde_kh)).json()["items"] == []


async def test_every_operation_documents_the_errors_it_can_answer(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    undocumented = []
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in methods.items():
            for status in ("400", "401", "403", "404", "409", "413", "422"):
                content = op["responses"].get(status, {}).get("content", {})
                ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if not ref.endswith(("/ErrorBody", "/InvalidInputBody")):
                    undocumented.append(f"{method.upper()} {path} {status}")
    assert undocumented == []
    # 422 says what its detail really is: a sentence, or the fields with what is wrong.
    detail = schemas["InvalidInputBody"]["properties"]["detail"]["anyOf"]
    assert {"type": "string"} in detail
    issue = schemas["ValidationIssue"]["required"]
    assert issue == ["loc", "msg", "type"]
    assert "HTTPValidationError" not in schemas
