"""Importing the Myanmar WFP file (33 782 rows) into an empty SQLite database through a
source, against a baseline executemany of the same rows into a table of the same shape, in the
same process; then the same import again, which must change nothing and be much quicker."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.catalogue.service import load_demo_catalogue
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, core_table, parse_database_url, run_core
from app.core.migrations import upgrade
from app.prices.models import PriceObservation, PriceStatus, PriceType
from app.sources.models import RunStatus, RunTrigger, Source, SourceKind
from app.sources.records import PriceRecord
from jobs import collect
from jobs.collectors import wfp_hdx

WFP_FILE = (
    Path(__file__).resolve().parent.parent / "tests/data/collectors/wfp_food_prices_mmr_2022-05.csv"
)


async def _baseline_table(database: Database) -> sa.Table:
    """price_observation's columns, constraints and indexes under another name, from the
    schema SQLite itself holds, so the baseline pays for the same index upkeep."""
    async with database.engine.begin() as connection:
        found = await connection.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE tbl_name = 'price_observation'")
        )
        for (ddl,) in found.all():
            if ddl:  # automatic indexes of UNIQUE constraints have none; the table makes them
                ddl = ddl.replace("price_observation", "baseline_price")
                ddl = ddl.replace("ix_price_series", "ix_baseline_series")
                await connection.execute(sa.text(ddl))
    table = core_table(PriceObservation)
    return sa.Table(
        "baseline_price", sa.MetaData(), *(sa.Column(c.name, c.type) for c in table.columns)
    )


def _rows(records: list[PriceRecord]) -> list[dict[str, Any]]:
    now = clock.utcnow()
    return [
        {
            "commodity_id": 1,
            "variety_id": None,
            "market_id": 1,
            "country_code": "MM",
            "price": r.price,
            "currency": r.currency,
            "unit_id": 1,
            "price_type": PriceType.RETAIL,
            "observed_on": r.observed_on,
            "status": PriceStatus.PUBLISHED,
            "outlier": False,
            "source": "bench",
            "source_id": None,
            "created_by": "bench",
            "external_key": f"1:{r.key}",
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]


async def _import(database: Database, source_id: int, content: bytes) -> tuple[float, Any]:
    read = functools.partial(wfp_hdx.read_file, content)
    start = time.perf_counter()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    run = await collect.run_source(
        database, source_id, trigger=RunTrigger.CLI, settings=settings, offline=read
    )
    return time.perf_counter() - start, run


async def run(**_: Any) -> dict[str, Any]:
    content = WFP_FILE.read_bytes()
    records = wfp_hdx.parse(content).records
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(parse_database_url(url))
        database = Database(url)
        try:
            async with database.session() as session:
                await load_demo_catalogue(session)
                source = Source(
                    slug="wfp-mm",
                    name="WFP Myanmar",
                    kind=SourceKind.WFP_HDX,
                    country_code="MM",
                    url="https://example.invalid/wfp.csv",
                    schedule="30 6 * * *",
                    mapping={"create_missing": ["market", "commodity", "unit"]},
                    trusted=True,
                    created_by="bench",
                )
                session.add(source)
                await session.commit()
                source_id = source.id or 0
            table = await _baseline_table(database)
            rows = _rows(records)
            async with database.session() as session:
                start = time.perf_counter()
                await run_core(session, table.insert(), rows)
                await session.commit()
                baseline = time.perf_counter() - start
            first, run1 = await _import(database, source_id, content)
            second, run2 = await _import(database, source_id, content)
        finally:
            await database.dispose()
    assert run1.status == RunStatus.SUCCEEDED and run1.inserted == len(records), run1
    assert run2.inserted == run2.updated == 0 and run2.unchanged == len(records), run2
    return {
        "bench": "ingest",
        "engine": "sqlite",
        "rows": len(records),
        "seconds": round(first, 3),
        "rows_per_s": round(len(records) / first),
        "baseline_seconds": round(baseline, 3),
        "ratio": round(first / baseline, 2),
        "second_run_seconds": round(second, 3),
        "second_to_first": round(second / first, 3),
    }
