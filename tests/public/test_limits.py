"""Rate limits of the public routes: a bucket per client, 429 then recovery on an injected clock,
bounded memory, turns per process, and never a cost to the API, the console or the webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.cli import proxy_options
from app.core.config import Settings
from app.main import create_app
from app.public.limits import ClientBuckets, PublicLimits, client_key, is_public

pytestmark = pytest.mark.usefixtures("seeded")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tight(settings: Settings) -> AsyncIterator[tuple[FastAPI, FakeClock]]:
    """An app allowing a burst of 3 public requests, refilled at 1 a second on a fake clock."""
    app = create_app(settings.model_copy(update={"public_burst": 3, "public_rate": 1.0}))
    clock = FakeClock()
    app.state.public_buckets.clock = clock
    async with app.router.lifespan_context(app):
        yield app, clock


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until `condition` holds; fail if it never does."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    pytest.fail("the condition never held")


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://mic.test")


def test_which_paths_are_public() -> None:
    for path in ("/", "/board/MM", "/cards/price/1.png", "/open/v1/prices.csv"):
        assert is_public(path), path
    for path in ("/api/v1/prices", "/console/", "/webhooks/telegram", "/healthz", "/boards"):
        assert not is_public(path), path


def test_a_bucket_refuses_past_its_burst_and_refills_with_time() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(rate=0.5, burst=2, capacity=10, clock=clock)
    assert [buckets.take("a"), buckets.take("a")] == [0, 0]
    assert buckets.take("a") == pytest.approx(2.0)  # one token at 0.5 a second
    assert buckets.take("b") == 0  # another client has its own
    clock.now += 1.0
    assert buckets.take("a") == pytest.approx(1.0)  # a refused request costs nothing
    clock.now += 1.0
    assert buckets.take("a") == 0
    clock.now += 3600
    assert [buckets.take("a"), buckets.take("a"), buckets.take("a") > 0] == [0, 0, True]


def test_buckets_are_kept_for_the_most_recent_clients_only() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(rate=1, burst=1, capacity=100, clock=clock)
    buckets.take("crawler")
    assert buckets.take("crawler") > 0
    for n in range(10_000):
        buckets.take(f"10.0.{n // 256}.{n % 256}")
        assert len(buckets) <= 100
    assert buckets.take("crawler") == 0  # forgotten: a full bucket again, never an error


def test_a_client_is_its_address_and_an_ipv6_client_its_64() -> None:
    def key(address: str) -> str:
        return client_key({"type": "http", "client": (address, 1234)})

    assert key("203.0.113.7") == "203.0.113.7"
    assert key("2001:db8:1:2:aaaa::1") == key("2001:db8:1:2:bbbb::99") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key({"type": "http", "client": None}) == ""


async def test_429_with_retry_after_then_recovery(tight: tuple[FastAPI, FakeClock]) -> None:
    app, clock = tight
    async with client_at(app, "198.51.100.20") as client:
        for _ in range(3):
            assert (await client.get("/open/v1/prices/dictionary")).status_code == 200
        refused = await client.get("/open/v1/prices.json")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"] == "too_many_requests"
        assert refused.headers["x-content-type-options"] == "nosniff"  # still MIC's headers
        # A person on the board reads it in their language (the board's pages or a card's link).
        page = await client.get("/board/KH", headers={"Accept-Language": "km-KH,km;q=0.9,en"})
        assert page.status_code == 429 and page.headers["content-type"].startswith("text/plain")
        assert "សូមរង់ចាំ 1 វិនាទី" in page.text
        chooser = await client.get("/", params={"lang": "vi"})
        assert chooser.status_code == 429 and "Vui lòng đợi 1 giây" in chooser.text

        async with client_at(app, "198.51.100.21") as neighbour:  # another address: its own
            assert (await neighbour.get("/open/v1/prices/dictionary")).status_code == 200

        clock.now += 1.0
        assert (await client.get("/open/v1/prices/dictionary")).status_code == 200
        assert (await client.get("/open/v1/prices/dictionary")).status_code == 429
        clock.now += 3.0
        for _ in range(3):
            assert (await client.get("/open/v1/prices/dictionary")).status_code == 200


async def test_the_api_console_and_webhooks_neither_count_nor_wait(
    tight: tuple[FastAPI, FakeClock],
) -> None:
    app, _clock = tight
    async with client_at(app, "198.51.100.30") as client:
        for _ in range(50):  # a busy CDE on the API spends nothing of the public budget
            assert (await client.get("/api/v1/countries")).status_code == 200
        for _ in range(3):
            assert (await client.get("/open/v1/prices/dictionary")).status_code == 200
        assert (await client.get("/open/v1/prices/dictionary")).status_code == 429
        # With the public budget spent, the rest of MIC answers that same address as ever.
        assert (await client.get("/api/v1/countries")).status_code == 200
        assert (await client.get("/console/sign-in")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        webhook = await client.post("/webhooks/telegram", json={})
        assert webhook.status_code != 429


async def test_the_client_behind_a_trusted_proxy_and_no_other(settings: Settings) -> None:
    """As `mic run` serves: uvicorn's proxy headers middleware, configured from the settings,
    in front of MIC. X-Forwarded-For names the client only on a trusted proxy's requests."""
    chosen = settings.model_copy(
        update={"public_burst": 1, "public_rate": 1.0, "trusted_proxies": ["10.0.0.0/8"]}
    )
    app = create_app(chosen)
    app.state.public_buckets.clock = FakeClock()
    options = proxy_options(chosen)
    assert options["proxy_headers"] is True
    served = ProxyHeadersMiddleware(app, trusted_hosts=options["forwarded_allow_ips"])
    path = "/open/v1/prices/dictionary"

    async def get(peer: str, forwarded_for: str | None = None) -> int:
        transport = httpx.ASGITransport(app=served, client=(peer, 40000))
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as c:
            return (await c.get(path, headers=headers)).status_code

    async with app.router.lifespan_context(app):
        # Two readers behind the office proxy are two clients.
        assert await get("10.1.2.3", "203.0.113.1") == 200
        assert await get("10.1.2.3", "203.0.113.2") == 200
        assert await get("10.1.2.3", "203.0.113.1") == 429
        # A client elsewhere cannot pass for another by naming one.
        assert await get("198.51.100.9", "203.0.113.77") == 200
        assert await get("198.51.100.9", "203.0.113.78") == 429
        assert await get("203.0.113.77") == 200  # the address it named was never charged

    assert proxy_options(settings.model_copy(update={"trusted_proxies": []})) == {
        "proxy_headers": False,
        "forwarded_allow_ips": None,
    }


async def test_a_process_serves_so_many_public_requests_at_once_then_queues_then_refuses() -> None:
    release = asyncio.Event()
    started: list[str] = []

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        started.append(scope["path"])
        if scope["path"] != "/api/v1/countries":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limits = PublicLimits(slow, buckets=None, concurrency=2)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=limits), base_url="http://mic.test")
    async with http:
        served = [asyncio.create_task(http.get(f"/cards/price/{n}.png")) for n in range(18)]
        await until(lambda: len(started) == 2 and limits.waiting == 16)  # 2 x 8 wait
        busy = await http.get("/board/MM")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.text == "The price board is busy. Please try again in a moment."
        busy_data = await http.get("/open/v1/prices.json")
        assert busy_data.status_code == 503 and busy_data.json()["error"] == "busy"
        # The API does not queue behind the public.
        assert (await http.get("/api/v1/countries")).text == "ok"
        release.set()
        assert [r.status_code for r in await asyncio.gather(*served)] == [200] * 18


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8, proxy.local")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="printable ASCII"):
        Settings(_env_file=None, open_data_licence="CC BY 4.0 — MIC")  # type: ignore[call-arg]
    chosen = Settings(_env_file=None, trusted_proxies="10.0.0.5, 2001:db8::/32, *")  # type: ignore[call-arg]
    assert chosen.trusted_proxies == ["10.0.0.5", "2001:db8::/32", "*"]
    assert Settings(_env_file=None).trusted_proxies == ["127.0.0.1"]  # type: ignore[call-arg]
