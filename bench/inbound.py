"""Producers' questions through the Kannel inbound webhook of a real `mic run` process, against
/healthz of the same process in the same run.

N price questions in six languages, each from its own phone with its own Kannel message id,
C in flight. A question is answered when the webhook said 200; it is lost when the database
holds no inbound_message for its id or no reply in the outbox for that message. The ratio
(answered per second / healthz per second) is what to compare between runs and machines.
The dispatcher is off: what is measured is answering, not sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import load_index
from app.core.db import Database, run_core
from app.prices.models import FxRate, PriceObservation, PriceStatus, PriceType
from bench.dispatch import _free_port
from bench.population import bench_database
from tests.commands.corpus import CORPUS

SECRET = "bench-kannel-secret"  # noqa: S105 - a throwaway server of the bench
# A phone prefix per language: Chinese traders at Muse and English speakers write from Myanmar.
# Six more digits make a mobile number each country's plan allows (no reply goes to any other).
PREFIX = {
    "my": "959250",
    "en": "959250",
    "zh": "959250",
    "km": "85512",
    "lo": "8562055",
    "vi": "84901",
}
HISTORY_DAYS = 365
# The series producers ask about, with a year of weekly history each:
# (commodity, variety, market, currency, unit, price type, price today).
SERIES = [
    ("mango", "sein-ta-lone", "muse", "CNY", "tonne", PriceType.BORDER, 12600),
    ("mango", None, "muse", "CNY", "basket", PriceType.BORDER, 210),
    ("mango", "sein-ta-lone", "mandalay", "MMK", "viss", PriceType.WHOLESALE, 3200),
    ("fish", "hilsa", "yangon-san-pya", "MMK", "viss", PriceType.WHOLESALE, 14500),
    ("fish", "prawn", "pyapon", "MMK", "kg", PriceType.FARMGATE, 18000),
    ("silk", None, "phnom-srok", "KHR", "kg", PriceType.FARMGATE, 180000),
    ("silk", None, "siem-reap", "USD", "kg", PriceType.RETAIL, 55),
    ("silk", None, "vientiane", "LAK", "kg", PriceType.RETAIL, 1150000),
    ("tea", None, "thai-nguyen", "VND", "kg", PriceType.FARMGATE, 12000),
]
# Kyat, riel, kip, dong, yuan and baht per US dollar, one rate a day (as currency_api stores).
USD_RATES = {"MMK": 2100, "KHR": 4100, "LAK": 21000, "VND": 25400, "CNY": 7.2, "THB": 35}


def questions(count: int, first: int = 0) -> list[tuple[str, str]]:
    """(phone, text): the corpus's price questions in turn, each from a new number (numbered
    from `first`, so that another bench's questions come from other numbers)."""
    asked = [(lang, text) for lang, text, intent, _ in CORPUS if intent == "price"]
    return [
        (f"{PREFIX[lang]}{first + i:06d}", text)
        for i, (lang, text) in enumerate(asked[i % len(asked)] for i in range(count))
    ]


async def _history(session: AsyncSession) -> None:
    index = await load_index(session)
    today = dt.date.today()
    for days in range(HISTORY_DAYS):
        day = today - dt.timedelta(days=days)
        for quote_currency, rate in USD_RATES.items():
            drift = Decimal(1 + (days % 30) / 1000)
            session.add(
                FxRate(
                    base="USD",
                    quote=quote_currency,
                    rate=Decimal(rate) * drift,
                    on_date=day,
                    source="currency-api",
                )
            )
    for commodity, variety, market, currency, unit, kind, price in SERIES:
        c, m = index.commodity(commodity), index.market(market)
        for weeks in range(0, HISTORY_DAYS // 7):
            session.add(
                PriceObservation(
                    commodity_id=c.id or 0,
                    variety_id=index.variety(c, variety).id if variety else None,
                    market_id=m.id or 0,
                    country_code=m.country_code,
                    price=Decimal(price) * Decimal(1 + (weeks % 5) / 50),
                    currency=currency,
                    unit_id=index.unit(unit).id or 0,
                    price_type=kind,
                    observed_on=today - dt.timedelta(days=7 * weeks),
                    status=PriceStatus.PUBLISHED,
                    created_by="bench",
                    reviewed_by="bench",
                )
            )


async def _populate(url: str) -> None:
    database = Database(url)
    try:
        async with database.session() as session:
            await _history(session)
    finally:
        await database.dispose()


@contextlib.asynccontextmanager
async def server(url: str, logs: Path) -> AsyncIterator[httpx.AsyncClient]:
    """`mic run` in a process of its own, on a free port, taking Kannel's inbound webhook."""
    port = _free_port()
    env = {
        **os.environ,
        "MIC_DATABASE_URL": url,
        "MIC_SMS_GATEWAY": "kannel",
        "MIC_SMS_WEBHOOK_SECRET": SECRET,
        "MIC_KANNEL_USERNAME": "mic",
        "MIC_DISPATCHER": "false",
        "MIC_SCHEDULER": "false",
        # Every bench question comes from a new number; the storm brake would refuse replies
        # beyond 120 a minute, which is the point of it but not what is measured here.
        "MIC_SMS_REPLIES_PER_MINUTE": "1000000",
        "MIC_SMS_DAILY_BUDGET": "{}",
    }
    command = [sys.executable, "-c", "from app.cli import cli; cli()", "run", "--port", str(port)]
    with logs.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, fixed arguments
            command, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    # uvicorn closes a connection idle for 5 s; httpx would reuse one for 5 s too, and a request
    # sent on a connection the server is closing at that instant fails before it arrives. The
    # client lets its idle connections go first.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as client:
            for _ in range(600):
                if process.poll() is not None:
                    output = await asyncio.to_thread(logs.read_text)
                    raise RuntimeError(f"mic run exited:\n{output[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _load(
    calls: list[Callable[[], Awaitable[int]]], concurrency: int
) -> tuple[float, list[float], Counter[str]]:
    """Run the calls (each returns its HTTP status) with `concurrency` in flight: wall seconds,
    each call's seconds, and the failures counted by what they were (a status, or the client's
    exception), so that a failed run says why."""
    pending = list(reversed(calls))
    times: list[float] = []
    failures: Counter[str] = Counter()

    async def worker() -> None:
        while pending:
            call = pending.pop()
            start = time.perf_counter()
            try:
                status = await call()
            except httpx.HTTPError as exc:
                failures[type(exc).__name__] += 1
            else:
                if status != 200:
                    failures[str(status)] += 1
            times.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, times, failures


def _ask(
    client: httpx.AsyncClient, phone: str, text: str, msg_id: str
) -> Callable[[], Awaitable[int]]:
    query = (
        f"secret={SECRET}&from={phone}&to=1234&text={quote(text)}&coding=0&charset=UTF-8"
        f"&id={msg_id}"
    )

    async def call() -> int:
        return (await client.get(f"/webhooks/sms/kannel/inbound?{query}")).status_code

    return call


async def _lost(url: str, ids: list[str]) -> int:
    """Questions without a stored inbound_message, or stored without a reply in the outbox."""
    database = Database(url)
    try:
        async with database.session() as session:
            rows = await run_core(
                session,
                sa.text(
                    "SELECT m.external_id FROM inbound_message m WHERE EXISTS (SELECT 1 FROM "
                    "broadcast b WHERE b.key = 'reply:' || CAST(m.id AS VARCHAR(20)) || :first)"
                ).bindparams(first=":0"),
            )
            answered = {row[0] for row in rows}
    finally:
        await database.dispose()
    return len(set(ids) - answered)


async def run(
    *, requests: int, concurrency: int = 50, database: str | None = None, **_: Any
) -> dict[str, Any]:
    async with bench_database(database) as url:
        await _populate(url)
        # The server's log is kept when a question failed or was lost: it says why.
        logs = Path(tempfile.mkdtemp(prefix="mic-bench-inbound-"))
        async with server(url, logs / "mic.log") as client:
            warm = [_ask(client, "959250999999", "mango muse", "warm-up")]
            await _load(warm, 1)  # parser, catalogs and the Zawgyi model load on first use

            async def healthz() -> int:
                return (await client.get("/healthz")).status_code

            health_s, _, _ = await _load([healthz] * requests, concurrency)
            asked = questions(requests)
            ids = [f"bench-{i}" for i in range(requests)]
            calls = [_ask(client, p, t, i) for (p, t), i in zip(asked, ids, strict=True)]
            wall_s, times, errors = await _load(calls, concurrency)
        lost = await _lost(url, ids)
    failed = sum(errors.values())
    if not failed and not lost:
        shutil.rmtree(logs)
    ordered = sorted(times)
    answered_per_s = (requests - failed) / wall_s
    healthz_per_s = requests / health_s
    return {
        "bench": "inbound",
        "engine": "postgresql" if database else "sqlite",
        "requests": requests,
        "concurrency": concurrency,
        "answered_per_s": round(answered_per_s, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 1),
        "errors": failed,
        "lost": lost,
        "healthz_per_s": round(healthz_per_s, 1),
        "ratio": round(answered_per_s / healthz_per_s, 3),
        **(
            {"error_kinds": dict(errors), "server_log": str(logs / "mic.log")}
            if failed or lost
            else {}
        ),
    }
