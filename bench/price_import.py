"""CSV price import: rows per second through the whole validation path, against a baseline
that inserts the same number of rows directly, in the same process and database engine."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.triggers import Alerts
from app.catalogue.service import load_demo_catalogue, load_index
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, parse_database_url
from app.core.migrations import upgrade
from app.prices.csv_import import import_prices_csv
from app.prices.models import PriceObservation, PriceStatus, PriceType

ADMIN = Staff(user_id=0, name="bench", role=Role.ADMIN, countries=None)


def make_csv(rows: int, day: dt.date) -> bytes:
    lines = ["commodity,variety,market,price,currency,unit,price_type,observed_on,external_key"]
    lines += [
        f"fish,hilsa,yangon-san-pya,{18000 + i % 40},MMK,viss,wholesale,{day},k-{i}"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def run(*, requests: int, **_: Any) -> dict[str, Any]:
    rows = max(requests, 100)
    day = clock.today("Asia/Yangon") - dt.timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(parse_database_url(url))
        database = Database(url)
        try:
            async with database.session() as session:
                await load_demo_catalogue(session)
            async with database.session() as session:
                index = await load_index(session)
                market = index.market("yangon-san-pya")
                start = time.perf_counter()
                session.add_all(
                    PriceObservation(
                        commodity_id=index.commodity("fish").id or 0,
                        market_id=market.id or 0,
                        country_code="MM",
                        price=Decimal(18000 + i % 40),
                        currency="MMK",
                        unit_id=index.unit("viss").id or 0,
                        price_type=PriceType.WHOLESALE,
                        observed_on=day,
                        status=PriceStatus.PENDING,
                        created_by="bench",
                    )
                    for i in range(rows)
                )
                await session.flush()
                baseline = time.perf_counter() - start
                await session.rollback()
            content = make_csv(rows, day)
            async with database.session() as session:
                start = time.perf_counter()
                report = await import_prices_csv(
                    session,
                    content=content,
                    staff=ADMIN,
                    alerts=Alerts(Settings(_env_file=None)),  # type: ignore[call-arg]
                )
                imported = time.perf_counter() - start
        finally:
            await database.dispose()
    assert len(report.accepted) == rows, report.rejected[:3]
    return {
        "benchmark": "price_import",
        "engine": "sqlite",
        "rows": rows,
        "baseline_direct_insert_s": round(baseline, 3),
        "import_s": round(imported, 3),
        "import_rows_per_s": round(rows / imported),
        "ratio_import_to_direct_insert": round(imported / baseline, 1),
    }
