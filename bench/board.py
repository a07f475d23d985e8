"""The public board's pages through the whole app, as a reader's browser asks for them: the home
page, a country's board, a market's board, and a commodity compared across a country's markets
over 90 days and over its whole series in another unit and currency; against /healthz and a page
of the open data (/open/v1/prices.json) in the same process, whose ratios are what to compare
between runs, as machine noise cancels out.

100 000 published prices: every commodity at every market, wholesale and retail, one price a
day each for about two years, in the market's country's currency per kg, with the dollar rates
that convert them. Each page must render in under 100 ms (p95) and weigh under 50 KB.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

import httpx
import sqlalchemy as sa

from app.catalogue.service import load_index
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, core_table, run_core
from app.main import create_app
from app.prices.models import FxRate, PriceObservation, PriceStatus, PriceType
from bench.population import bench_database
from bench.timing import sample, summary

PRICES: Final = 100_000
TARGET_MS: Final = 100.0
BUDGET_BYTES: Final = 50 * 1024
PRICE_TYPES: Final = (PriceType.WHOLESALE, PriceType.RETAIL)
# Dollar rates (per 1 USD) that convert every market's prices for the comparisons.
USD_RATES: Final = {"MMK": "2100", "KHR": "4100", "LAK": "21000", "VND": "25000", "CNY": "7.2"}
BATCH: Final = 5_000

PAGES: Final = {
    "home": ("/", {}),
    "country": ("/board/MM", {}),
    "country_burmese_zawgyi": ("/board/MM", {"lang": "my", "zawgyi": "1", "digits": "native"}),
    "market": ("/board/MM/markets/muse", {}),
    "commodity_90_days": ("/board/MM/commodities/mango", {}),
    "commodity_whole_series_usd_per_kg": (
        "/board/MM/commodities/mango",
        {"days": "all", "unit": "kg", "currency": "USD"},
    ),
}


async def _populate(url: str) -> int:
    """The prices and rates; returns how many days each series reaches back."""
    database = Database(url)
    try:
        async with database.session() as session:
            index = await load_index(session)
            kg = index.unit("kg").id or 0
            series = [
                (market, commodity, price_type)
                for market in index.market_by_id.values()
                for commodity in index.commodity_by_id.values()
                for price_type in PRICE_TYPES
            ]
            days = -(-PRICES // len(series))
            now = clock.utcnow()
            today = clock.today("Asia/Yangon")
            rows = [
                {
                    "commodity_id": commodity.id,
                    "variety_id": None,
                    "market_id": market.id,
                    "country_code": market.country_code,
                    "price": Decimal(1000 + (n * 7 + i) % 500),
                    "currency": index.currency_of_country[market.country_code],
                    "unit_id": kg,
                    "price_type": price_type,
                    "observed_on": today - dt.timedelta(days=i),
                    "status": PriceStatus.PUBLISHED,
                    "outlier": False,
                    "source": "bench",
                    "created_by": "bench",
                    "reviewed_by": "bench",
                    "reviewed_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, (market, commodity, price_type) in enumerate(series)
                for i in range(days)
            ][:PRICES]
            insert = sa.insert(core_table(PriceObservation))
            for start in range(0, len(rows), BATCH):
                await run_core(session, insert, rows[start : start + BATCH])
            session.add_all(
                FxRate(
                    base="USD",
                    quote=quote,
                    rate=Decimal(rate),
                    on_date=today - dt.timedelta(days=days + 30),
                    source="bench",
                )
                for quote, rate in USD_RATES.items()
            )
            return days
    finally:
        await database.dispose()


def _timed(times: list[float], size: int) -> dict[str, Any]:
    found = summary(times)
    return {
        **found,
        "bytes": size,
        "under_target": found["p95_ms"] < TARGET_MS,
        "under_budget": size < BUDGET_BYTES,
    }


async def run(*, requests: int, database: str | None = None, **_: Any) -> dict[str, Any]:
    async with bench_database(database) as url:
        days = await _populate(url)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, env="test", public_rate=0
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                sizes: dict[str, int] = {}

                def page(name: str, path: str, params: dict[str, str]) -> Any:
                    async def call() -> None:
                        answer = await client.get(path, params=params)
                        if answer.status_code != 200:
                            raise RuntimeError(f"{path} {params}: {answer.status_code}")
                        sizes[name] = len(answer.content)

                    return call

                base = summary(await sample(page("healthz", "/healthz", {}), n=requests))
                open_data = summary(
                    await sample(
                        page("open_data", "/open/v1/prices.json", {"country": "MM"}), n=requests
                    )
                )
                timings = {}
                for name, (path, params) in PAGES.items():
                    times = await sample(page(name, path, params), n=requests)
                    timings[name] = _timed(times, sizes[name])
    result: dict[str, Any] = {
        "benchmark": "board",
        "engine": "postgresql" if database else "sqlite",
        "prices": PRICES,
        "days_per_series": days,
        "requests_each": requests,
        "target_p95_ms": TARGET_MS,
        "budget_bytes": BUDGET_BYTES,
        "baseline_healthz": base,
        "baseline_open_data_json": open_data,
        **timings,
    }
    for key, value in timings.items():
        result[f"ratio_{key}_to_healthz"] = round(value["median_ms"] / base["median_ms"], 2)
        result[f"ratio_{key}_to_open_data"] = round(value["median_ms"] / open_data["median_ms"], 2)
    return result
