"""/metrics of the API: open in development, behind its token when one is set, not served in
production without one, served on a port of its own when asked; requests counted by route
template."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.errors import ConfigurationError
from app.main import create_app
from tests.conftest import Tokens, free_port
from tests.ops.scrapes import parse, value

TOKEN = "metrics-token-for-tests-0123456789"
REQUESTS = "mic_http_request_duration_seconds_count"  # one observation a request


def changed(settings: Settings, **changes: Any) -> Settings:
    """The test's settings with `changes`, validated as the environment's would be."""
    return Settings(_env_file=None, **(settings.model_dump() | changes))  # type: ignore[call-arg]


@asynccontextmanager
async def running(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(changed(settings, **changes))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client:
            yield client


async def test_development_serves_metrics_to_anyone_with_the_process_label(
    settings: Settings,
) -> None:
    async with running(settings, process_name="api-1") as client:
        await client.get("/healthz")
        scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    samples = parse(scraped.text)
    assert value(samples, REQUESTS, route="/healthz", process="api-1") == 1
    assert all(dict(labels).get("process") == "api-1" for _, labels in samples)


async def test_a_token_is_asked_for_when_one_is_set(settings: Settings) -> None:
    async with running(settings, metrics_token=TOKEN) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        lower = await client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
        posted = await client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"] == "unauthorized"
        assert "mic_" not in refused.text
    assert right.status_code == lower.status_code == 200
    assert REQUESTS in right.text
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"


async def test_production_without_a_token_does_not_serve_metrics(settings: Settings) -> None:
    async with running(settings, env="production") as client:
        assert (await client.get("/metrics")).status_code == 404
    async with running(settings, env="production", metrics_token=TOKEN) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.get("/metrics", headers=headers)).status_code == 200


async def test_metrics_are_no_part_of_the_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/metrics" not in spec["paths"]


async def test_requests_are_counted_by_route_template_method_and_status_class(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for price_id in (101, 102, 103):
        missing = await client.get(f"/api/v1/prices/{price_id}", headers=tokens.admin)
        assert missing.status_code == 404
    listed = await client.get("/api/v1/prices", headers=tokens.admin)
    assert listed.status_code == 200
    await client.get("/no/such/page/4711")
    await client.request("BREW", "/healthz")
    samples = parse((await client.get("/metrics")).text)
    route = "/api/v1/prices/{price_id}"
    assert value(samples, REQUESTS, route=route, method="GET", status="4xx") == 3
    assert value(samples, REQUESTS, route="/api/v1/prices", status="2xx") == 1
    assert value(samples, REQUESTS, route="unmatched", status="4xx") == 1
    assert value(samples, REQUESTS, route="/healthz", method="OTHER") == 1
    assert value(samples, "mic_http_request_duration_seconds_bucket", route=route, le="+Inf") == 3
    routes = {dict(labels).get("route") for _, labels in samples}
    assert not any(r and ("101" in r or "4711" in r) for r in routes), routes


async def test_a_port_of_their_own_serves_them_and_the_api_does_not(settings: Settings) -> None:
    port = free_port()
    async with running(settings, metrics_port=port, metrics_token=TOKEN) as client:
        assert (await client.get("/metrics")).status_code == 404
        await client.get("/healthz")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper:
            refused = await scraper.get("/metrics")
            other = await scraper.get("/api/v1/prices")
            scraped = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 401
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    assert scraped.status_code == 200
    assert value(parse(scraped.text), REQUESTS, route="/healthz") == 1
    with socket.socket() as probe:  # the port is given back when the app stops
        probe.bind(("127.0.0.1", port))


async def test_a_metrics_port_in_use_stops_the_start_with_its_reason(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            async with running(settings, metrics_port=port):
                pass


def test_blank_metrics_settings_mean_unset() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        metrics_token="",
        metrics_port="",
        process_name=" ",
    )
    assert (settings.metrics_token, settings.metrics_port, settings.process_name) == (
        None,
        None,
        None,
    )
    with pytest.raises(ValueError, match="process_name"):
        Settings(_env_file=None, process_name="name with spaces")  # type: ignore[call-arg]


def test_production_refuses_a_placeholder_metrics_token() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="production",
        secret_key="x" * 40,
        metrics_token="change-me",
    )
    with pytest.raises(ConfigurationError, match="MIC_METRICS_TOKEN is a placeholder"):
        settings.check_production_secrets()
