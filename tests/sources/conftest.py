"""Helpers to create and run sources."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.core.db import Database
from app.sources.models import Source, SourceKind
from tests.fakes.upstream import LOOPBACK

DATA = Path(__file__).resolve().parent.parent / "data" / "collectors"

# A long price table of the Muse border board: Date, Market, Product, Variety, Price (CNY/tonne).
MUSE_BOARD_MAPPING = {
    "columns": {
        "observed_on": "Date",
        "market": "Market",
        "commodity": "Product",
        "variety": "Variety",
        "price": "Price (CNY/tonne)",
    },
    "defaults": {"currency": "CNY", "unit": "tonne", "price_type": "border"},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The fake upstreams listen on loopback, which these tests allow as an on-premise portal
    would be (MIC_SOURCE_ALLOWED_HOSTS); everything else stays refused."""
    return settings.model_copy(update={"source_allowed_hosts": [LOOPBACK]})


def wfp_rows(name: str) -> list[dict[str, str]]:
    """The data rows of a WFP file, read independently of the collector."""
    rows = list(csv.DictReader(io.StringIO((DATA / name).read_text("utf-8"))))
    return [r for r in rows if not r["date"].startswith("#")]


async def add_source(database: Database, kind: SourceKind, url: str, **fields: Any) -> int:
    """A source written straight to the database, past the API's checks."""
    async with database.session() as session:
        source = Source(
            slug=f"s-{kind.value.replace('_', '-')}-{abs(hash(url)) % 10_000}",
            name="test source",
            kind=kind,
            country_code=fields.pop("country", "MM"),
            url=url,
            schedule="0 6 * * *",
            created_by="test",
            trusted=True,
            mapping=fields.pop("mapping", {"create_missing": ["market", "commodity", "unit"]}),
            **fields,
        )
        session.add(source)
        await session.commit()
        assert source.id is not None
        return source.id


async def create_source(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"schedule": "30 6 * * *", **fields}
    response = await client.post("/api/v1/sources", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def run_now(
    client: httpx.AsyncClient, headers: dict[str, str], source_id: int
) -> dict[str, Any]:
    """POST /sources/{id}/run, then wait until the run has finished."""
    response = await client.post(f"/api/v1/sources/{source_id}/run", headers=headers)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    async with asyncio.timeout(30):
        while True:
            run = (await client.get(f"/api/v1/job-runs/{run_id}", headers=headers)).json()
            if run["status"] != "running":
                return dict(run)
            await asyncio.sleep(0.05)
