"""Fan-out of one published price to N subscribers, against a baseline that writes the same
number of delivery rows with one plain INSERT ... SELECT on the same database, in the same run."""

from __future__ import annotations

import resource
import time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.alerts import fanout
from app.alerts.models import Broadcast, BroadcastKind, BroadcastText, ChannelName
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, run_core
from app.text.formatting import Script
from bench.population import add_producers, bench_database, published_price


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def run(*, subscribers: int, database: str | None = None, **_: Any) -> dict[str, Any]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    async with bench_database(database) as url:
        db = Database(url)
        try:
            async with db.session() as session:
                await add_producers(session, subscribers)
            baseline = await _baseline(db, subscribers)
            async with db.session() as session:
                price = await published_price(session, Decimal("12600"))
            start = time.perf_counter()
            async with db.session() as session:
                audience = await fanout.price_audience(session, price)
                broadcast = await fanout.fan_out(session, audience, settings, created_by="bench")
            seconds = time.perf_counter() - start
            async with db.session() as session:
                written = (
                    await run_core(
                        session,
                        sa.text("SELECT count(*) FROM delivery WHERE broadcast_id = :b").bindparams(
                            b=broadcast.id
                        ),
                    )
                ).scalar_one()
        finally:
            await db.dispose()
    return {
        "bench": "fanout",
        "engine": "postgresql" if database else "sqlite",
        "subscribers": subscribers,
        "deliveries": written,
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline, 3),
        "ratio": round(seconds / baseline, 2),
        "peak_rss_mb": _peak_rss_mb(),
    }


async def _baseline(db: Database, subscribers: int) -> float:
    """One INSERT ... SELECT of `subscribers` delivery rows with constant values, committed
    (as the fan-out is), then deleted so the fan-out starts from the same empty table."""
    async with db.session() as session:
        broadcast = Broadcast(
            kind=BroadcastKind.PRICE, key="baseline", countries=["MM"], payload={}, created_by="b"
        )
        session.add(broadcast)
        await session.flush()
        text = BroadcastText(
            broadcast_id=broadcast.id or 0,
            locale="en",
            script=Script.UNICODE,
            digits="latin",
            plain_sms=False,
            channel=ChannelName.SMS,
            text="baseline",
            segments=1,
            encoding="gsm7",
        )
        session.add(text)
        await session.flush()
        now = clock.utcnow()
    start = time.perf_counter()
    async with db.session() as session:
        await run_core(
            session,
            sa.text(
                "INSERT INTO delivery (broadcast_id, producer_id, address_id, country_code, "
                "channel, text_id, status, silent, capped, budget_override, segments, cost, "
                "attempts, next_attempt_at, created_at, updated_at) "
                "SELECT :b, p.id, p.id, 'MM', 'sms', :t, 'queued', false, true, false, 1, 0.025, "
                "0, :now, :now, :now FROM producer p"
            ).bindparams(b=broadcast.id, t=text.id, now=now),
        )
    seconds = time.perf_counter() - start
    async with db.session() as session:
        await run_core(session, sa.text("DELETE FROM delivery"))
    return seconds
