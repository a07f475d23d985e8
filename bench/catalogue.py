"""Catalogue reads through the whole HTTP stack, against /healthz in the same process.

The ratio (markets / healthz) is what to compare between runs: both go through the same ASGI
stack and database, so machine noise cancels out and what is left is the cost of the query
and the serialisation of names in six locales.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx

from app.catalogue.service import load_demo_catalogue
from app.core.config import Settings
from app.core.db import Database, parse_database_url
from app.core.migrations import upgrade
from app.main import create_app
from bench.timing import sample, summary


async def run(*, requests: int, **_: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(parse_database_url(url))
        database = Database(url)
        async with database.session() as session:
            await load_demo_catalogue(session)
        await database.dispose()
        settings = Settings(_env_file=None, database_url=url, env="test")  # type: ignore[call-arg]
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

                async def healthz() -> None:
                    (await client.get("/healthz")).raise_for_status()

                async def markets() -> None:
                    (
                        await client.get("/api/v1/markets", params={"country": "MM"})
                    ).raise_for_status()

                async def commodities() -> None:
                    (await client.get("/api/v1/commodities")).raise_for_status()

                base = summary(await sample(healthz, n=requests))
                mk = summary(await sample(markets, n=requests))
                co = summary(await sample(commodities, n=requests))
    return {
        "benchmark": "catalogue",
        "engine": "sqlite",
        "requests_each": requests,
        "baseline_healthz": base,
        "markets_country_mm": mk,
        "commodities_with_varieties": co,
        "ratio_markets_to_healthz": round(mk["median_ms"] / base["median_ms"], 2),
        "ratio_commodities_to_healthz": round(co["median_ms"] / base["median_ms"], 2),
    }
