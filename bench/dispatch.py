"""The dispatcher against a fake HTTP gateway on loopback that enforces a global rate and one
message per recipient per second (tests/fakes/gateway.py), with dispatchers as real processes.

`dispatch`: efficiency against the gateway's limit, 429s provoked (violations), duplicates and
losses; with --rate 0, the rate against a bare httpx loop of the same concurrency.
`crash`: a dispatcher is killed with SIGKILL half-way and a new one finishes the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa

from app.alerts import fanout
from app.core.config import Settings
from app.core.db import Database, run_core
from bench.population import add_producers, bench_database, published_price
from bench.worker import CONCURRENCY

LEASE_S = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def gateway(rate: float) -> AsyncIterator[str]:
    port = _free_port()
    # A separate process, so the gateway never competes with the dispatcher for one event loop.
    process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own module, fixed arguments
        [sys.executable, "-m", "tests.fakes.gateway", str(port), str(rate)]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    await client.get("/stats")
                    break
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait()


def _worker(database_url: str, gateway_url: str, rate: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.worker", database_url, gateway_url, str(rate), str(LEASE_S)],
        stdout=subprocess.DEVNULL,
    )


async def _stats(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as client:
        stats: dict[str, Any] = (await client.get("/stats")).json()
        return stats


async def _queue(url: str, messages: int, broadcasts: int) -> list[int]:
    """`messages` deliveries: `broadcasts` prices, each to messages / broadcasts producers."""
    settings = Settings(_env_file=None, sms_daily_budget={})  # type: ignore[call-arg]
    db = Database(url)
    try:
        async with db.session() as session:
            await add_producers(session, messages // broadcasts)
        for i in range(broadcasts):
            async with db.session() as session:
                price = await published_price(session, Decimal(12600 + 100 * i))
                audience = await fanout.price_audience(session, price)
                await fanout.fan_out(session, audience, settings, created_by="bench")
        async with db.session() as session:
            rows = await run_core(session, sa.text("SELECT id FROM delivery ORDER BY id"))
            return [row[0] for row in rows]
    finally:
        await db.dispose()


async def _wait_for(
    url: str, count: int, within: float, workers: list[subprocess.Popen[bytes]]
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        stats = await _stats(url)
        if stats["distinct"] >= count or time.monotonic() > deadline:
            return stats
        if all(w.poll() is not None for w in workers):
            raise RuntimeError(f"every dispatcher exited (codes {[w.returncode for w in workers]})")
        await asyncio.sleep(0.2)


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


async def run(
    *, messages: int, rate: float, dispatchers: int = 1, database: str | None = None, **_: Any
) -> dict[str, Any]:
    broadcasts = 3 if rate > 0 else 1  # with a rate: three messages per recipient, paced 1/s
    async with bench_database(database) as url:
        ids = await _queue(url, messages, broadcasts)
        async with gateway(rate) as gateway_url:
            workers = [_worker(url, gateway_url, rate) for _ in range(dispatchers)]
            try:
                timeout = 120 + (len(ids) / rate * 3 if rate else 60)
                stats = await _wait_for(gateway_url, len(ids), timeout, workers)
            finally:
                _stop(workers)
            stats = await _stats(gateway_url)
    achieved = stats["distinct"] / stats["span_s"] if stats["span_s"] else 0.0
    result: dict[str, Any] = {
        "bench": "dispatch",
        "engine": "postgresql" if database else "sqlite",
        "dispatchers": dispatchers,
        "messages": len(ids),
        "rate_limit": rate,
        "achieved_rate": round(achieved, 1),
        "efficiency": round(achieved / rate, 3) if rate else None,
        "violations": stats["violations"],
        "duplicates": stats["duplicates"],
        "lost": len(set(ids) - set(stats["ids"])),
    }
    if not rate:
        raw = await _raw_client_rate(len(ids))
        result["raw_client_rate"] = round(raw, 1)
        result["ratio"] = round(achieved / raw, 3)
    return result


async def _raw_client_rate(messages: int) -> float:
    """A bare httpx loop with the dispatcher's concurrency against a fresh fake gateway."""
    async with gateway(0) as url:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=url, limits=limits) as client:
            queue = list(range(messages))

            async def post_all() -> None:
                while queue:
                    i = queue.pop()
                    await client.post("/send", json={"id": i, "to": f"tel:+{i}", "text": "x"})

            start = time.perf_counter()
            await asyncio.gather(*(post_all() for _ in range(CONCURRENCY)))
            return messages / (time.perf_counter() - start)


async def run_crash(*, messages: int, database: str | None = None, **_: Any) -> dict[str, Any]:
    rate = 400.0  # slow enough that the kill lands in the middle of the work
    async with bench_database(database) as url:
        ids = await _queue(url, messages, 1)
        async with gateway(rate) as gateway_url:
            first = _worker(url, gateway_url, rate)
            await _wait_for(gateway_url, len(ids) // 2, 120, [first])
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            in_flight = await _count_sending(url)
            second = _worker(url, gateway_url, rate)
            try:
                await _wait_for(gateway_url, len(ids), 120 + LEASE_S, [second])
            finally:
                _stop([second])
            stats = await _stats(gateway_url)
    return {
        "bench": "crash",
        "engine": "postgresql" if database else "sqlite",
        "messages": len(ids),
        "lost": len(set(ids) - set(stats["ids"])),
        "duplicates": stats["duplicates"],
        "in_flight_max": in_flight,
    }


async def _count_sending(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await run_core(
                session, sa.text("SELECT count(*) FROM delivery WHERE status = 'sending'")
            )
            count: int = rows.scalar_one()
            return count
    finally:
        await db.dispose()
