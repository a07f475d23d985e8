"""Databases full of producers for the alert benchmarks, generated in SQL (not Python loops)."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import load_demo_catalogue, load_index
from app.core import clock
from app.core.db import Database, parse_database_url, run_core
from app.core.migrations import upgrade
from app.prices.models import PriceObservation, PriceStatus, PriceType


@contextlib.asynccontextmanager
async def bench_database(server: str | None) -> AsyncIterator[str]:
    """A migrated database with the demo catalogue: a temporary SQLite file, or a new
    database on the PostgreSQL server `server` (dropped afterwards)."""
    if not server:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            await _prepare(url)
            yield url
        return
    base = parse_database_url(server).sync_url
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"mic_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        await _prepare(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _prepare(url: str) -> None:
    upgrade(parse_database_url(url))
    database = Database(url)
    try:
        async with database.session() as session:
            await load_demo_catalogue(session)
    finally:
        await database.dispose()


async def add_producers(
    session: AsyncSession, count: int, *, first_phone: int = 959_250_000_000
) -> None:
    """`count` consenting Burmese producers, each with a phone and an `every` subscription to
    mango at Muse, inserted with three INSERT ... SELECT over a generated series."""
    index = await load_index(session)
    mango, muse = index.commodity("mango").id, index.market("muse").id
    now = clock.utcnow()
    series = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    await run_core(
        session,
        sa.text(
            series  # noqa: S608 - a constant; the values are bound parameters
            + "INSERT INTO producer (name, country_code, locale, script, digits, plain_sms, "
            "kind, roles, status, quiet_hours, daily_cap, consent_at, consent_channel, created_at, "
            "updated_at) SELECT 'P' || i, 'MM', CASE i % 3 WHEN 0 THEN 'en' WHEN 1 THEN 'my' "
            "ELSE 'zh' END, 'unicode', 'latin', false, 'farmer', '[]', 'active', '00:00-00:00', 5, "
            ":now, 'paper', :now, :now FROM n"
        ).bindparams(count=count, now=now),
    )
    await run_core(
        session,
        sa.text(
            "INSERT INTO address (producer_id, urn, active, created_at) "
            "SELECT id, 'tel:+' || CAST(:first + id AS VARCHAR(20)), true, :now FROM producer"
        ).bindparams(first=first_phone, now=now),
    )
    await run_core(
        session,
        sa.text(
            "INSERT INTO subscription (producer_id, commodity_id, market_id, rule, leads, "
            "created_at) SELECT id, :mango, :muse, 'every', false, :now FROM producer"
        ).bindparams(mango=mango, muse=muse, now=now),
    )


async def published_price(session: AsyncSession, price: Decimal) -> PriceObservation:
    index = await load_index(session)
    observation = PriceObservation(
        commodity_id=index.commodity("mango").id or 0,
        market_id=index.market("muse").id or 0,
        country_code="MM",
        price=price,
        currency="CNY",
        unit_id=index.unit("tonne").id or 0,
        price_type=PriceType.BORDER,
        observed_on=clock.today("Asia/Yangon"),  # Muse
        status=PriceStatus.PUBLISHED,
        created_by="bench",
        reviewed_by="bench",
    )
    session.add(observation)
    await session.flush()
    return observation
