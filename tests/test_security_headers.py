"""Security headers on every response, and API docs that work without internet."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app

EXPECTED = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
# src="...", href="...", url: '...' and url(...) in a page: where a browser would fetch from.
_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)|url:\s*["']([^"']+)|url\(([^)]+)\)""")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/v1/countries", 200),
        ("GET", "/api/v1/prices", 401),  # an error from the API's own handler
        ("GET", "/no-such-page", 404),
        ("POST", "/api/v1/prices/import", 413),  # refused by the body-size limit
        ("GET", "/docs", 200),
        ("GET", "/static/docs/swagger-ui.css", 200),
    ],
)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    headers = {"Content-Length": str(20_000_000)} if status == 413 else {}
    response = await client.request(method, path, headers=headers)

    assert response.status_code == status
    assert {k: response.headers.get(k) for k in EXPECTED} == EXPECTED
    assert "strict-transport-security" not in response.headers  # served over plain http


@pytest.fixture
async def https_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"public_url": "https://mic.example.org"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://mic.example.org") as c:
            yield c


async def test_hsts_when_the_service_is_public_over_https(
    https_client: httpx.AsyncClient,
) -> None:
    response = await https_client.get("/healthz")

    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_load_everything_from_the_service_itself(
    client: httpx.AsyncClient, page: str
) -> None:
    html = await client.get(page)
    assert html.status_code == 200
    assert "text/html" in html.headers["content-type"]

    references = {next(g for g in m.groups() if g) for m in _REFERENCE.finditer(html.text)}

    assert references, html.text  # the page does load scripts: the pattern must see them
    assert [r for r in references if not r.startswith("/")] == []
    assert "://" not in html.text  # no other host, however it is named
    assert "validatorUrl" in html.text or page == "/redoc"
    for reference in references:
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert int(asset.headers["content-length"]) > 0
