"""The HTTP edge answers every request with a documented status and the one error shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.limits import JSON_LIMIT
from app.core.config import Settings
from app.core.ids import MAX_ID
from app.main import create_app
from tests.alerts.conftest import publish, register
from tests.conftest import Tokens
from tests.leads.test_leads_api import offer


class FailingMiddleware:
    """Fails inside the middleware stack, before any route or exception handler runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/broken-middleware":
            raise RuntimeError("a bug in a middleware")
        await self.app(scope, receive, send)


async def test_an_unexpected_error_answers_500_in_the_error_shape(settings: Settings) -> None:
    app: FastAPI = create_app(settings)
    app.add_middleware(FailingMiddleware)

    @app.get("/broken-route")
    async def broken() -> None:
        raise RuntimeError("a bug in a route")

    # raise_app_exceptions=False: like a real server, the client gets the response while
    # the exception goes on to the server's log.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client,
    ):
        for path in ("/broken-route", "/broken-middleware"):
            response = await client.get(path)
            assert response.status_code == 500
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {
                "error": "internal_error",
                "detail": "the service failed; the error is logged",
            }


async def test_a_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit is found while the body streams in.
        yield b'{"note": "'
        for _ in range(JSON_LIMIT // 65_536 + 1):
            yield b"x" * 65_536
        yield b'"}'

    headers = {**tokens.admin, "Content-Type": "application/json"}
    response = await client.post("/api/v1/prices", headers=headers, content=chunks())
    assert response.status_code == 413
    assert response.json() == {"error": "too_large", "detail": "request body over 1 MB"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/producers/{MAX_ID + 1}", None),
        ("GET", f"/api/v1/prices?cursor={2**63}", None),
        ("GET", f"/api/v1/deliveries?producer={MAX_ID + 1}", None),
        ("GET", "/api/v1/audit?entity_id=0", None),
        ("POST", "/api/v1/deliveries/cancel", {"ids": [2**63]}),
        ("POST", "/api/v1/broadcasts/preview", {"price_id": MAX_ID + 1}),
    ],
)
async def test_ids_no_row_can_have_are_422(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str, body: Any
) -> None:
    response = await client.request(method, path, headers=tokens.admin, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        (
            "POST",
            "/api/v1/fx-rates",
            {
                "base": "USD",
                "quote": "MMK",
                "rate": "2100",
                "on_date": "2026-11-27",
                "source": "c\0",
            },
            ["body", "source"],
        ),
        ("GET", "/api/v1/audit?entity=price%00", None, ["query", "entity"]),
        ("GET", "/api/v1/fx-rates?base=US%1bD", None, ["query", "base"]),
        ("POST", "/api/v1/notices", {"texts": {"en": "Rain\0"}, "countries": ["MM"]}, None),
    ],
)
async def test_control_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    tokens: Tokens,
    method: str,
    path: str,
    body: Any,
    where: list[str] | None,
) -> None:
    response = await client.request(method, path, headers=tokens.admin, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["type"] == "control_character"
    assert problem["loc"] == (where or ["body", "texts", "en"])
    assert problem["msg"].startswith("control character U+00")


async def test_line_breaks_and_tabs_are_text(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = {"texts": {"en": "Muse gate closed\n\tuntil Monday"}, "countries": ["MM"]}
    response = await client.post("/api/v1/notices", headers=tokens.cde_mm, json=body)
    assert response.status_code == 201, response.text


async def test_null_for_a_field_that_cannot_be_empty_is_422(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    price_id = await publish(client, tokens, "12600")
    lead = (await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer())).json()
    for path, body in [
        (f"/api/v1/prices/{price_id}", {"price": None}),
        (f"/api/v1/prices/{price_id}", {"observed_on": None}),
        (f"/api/v1/leads/{lead['id']}", {"expires_on": None}),
    ]:
        response = await client.patch(path, headers=tokens.cde_mm, json=body)
        assert response.status_code == 422, (path, body, response.text)
        field = next(iter(body))
        assert response.json()["detail"][0]["loc"] == ["body", field]
    # A field that may be empty can still be emptied.
    cleared = await client.patch(
        f"/api/v1/prices/{price_id}", headers=tokens.cde_mm, json={"note": None}
    )
    assert cleared.status_code == 200, cleared.text


async def test_amounts_their_column_cannot_hold_are_422(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    producer = await register(client, tokens, name="Ko Aung", locale="my", phone="09 250 000 001")
    today = dt.date.today().isoformat()
    price = {
        "commodity": "mango",
        "market": "muse",
        "price": "12600",
        "currency": "CNY",
        "unit": "tonne",
        "price_type": "border",
        "observed_on": today,
    }
    rate = {"base": "USD", "quote": "MMK", "rate": "2100", "on_date": today, "source": "cbm"}
    for path, body, complaint in [
        ("/prices", {**price, "price": "1e-20"}, "price 1E-20 is below 0.0001"),
        ("/leads", offer(quantity="1e30"), "quantity 1E+30 is too large"),
        ("/fx-rates", {**rate, "rate": "1e30"}, "rate 1E+30 is too large"),
        ("/fx-rates", {**rate, "rate": "1e-11"}, "rate 1E-11 is below 1E-10"),
        (
            f"/producers/{producer}/subscriptions",
            {"commodity": "tea", "rule": "above", "threshold": "1e30"},
            "threshold 1E+30 is too large",
        ),
    ]:
        response = await client.post(f"/api/v1{path}", headers=tokens.admin, json=body)
        assert response.status_code == 422, (path, response.text)
        assert complaint in response.json()["detail"]
