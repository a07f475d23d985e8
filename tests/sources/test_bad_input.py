"""What upstream gets wrong: each run fails with a clear reason, leaves nothing half-imported,
and the next source still runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.config import Settings
from app.core.db import Database, core_table, run_core
from app.prices.models import PriceObservation
from app.sources import ingest
from app.sources.models import RunStatus, RunTrigger, SourceKind
from jobs.collect import run_source
from jobs.collectors.http import new_client
from tests.fakes.upstream import LOOPBACK, FakeUpstream
from tests.sources.conftest import DATA, add_source

SAMPLE = (DATA / "wfp_food_prices_mmr_sample.csv").read_bytes()


async def count_prices(database: Database) -> int:
    async with database.session() as session:
        found = await run_core(
            session, sa.select(sa.func.count()).select_from(core_table(PriceObservation))
        )
        return int(found.scalar_one())


def cut_mid_row(content: bytes) -> bytes:
    return content[: content.rindex(b"\n", 0, len(content) - 2) + 30]


def rename_header(content: bytes) -> bytes:
    return content.replace(b",market,", b",market_name,", 1)


CASES: list[tuple[str, Callable[[FakeUpstream], None], str]] = [
    ("cut off mid-row", lambda u: u.route("/f.csv", cut_mid_row(SAMPLE)), "cut off"),
    ("cut off in a quote", lambda u: u.route("/f.csv", SAMPLE + b'2016-01-15,"Shan'), "line"),
    ("header renamed", lambda u: u.route("/f.csv", rename_header(SAMPLE)), "no column market"),
    (
        "HTML error page with 200",
        lambda u: u.route(
            "/f.csv",
            "<!DOCTYPE html><html><head><title>Service Unavailable</title></head></html>",
            content_type="text/html",
        ),
        "Service Unavailable",
    ),
    ("a 50 MB answer", lambda u: u.huge("/f.csv", 50 * 1024 * 1024), "larger than"),
]


@pytest.mark.parametrize(
    ("setup", "reason"), [(s, r) for _, s, r in CASES], ids=[c[0] for c in CASES]
)
async def test_a_broken_payload_fails_the_run_and_imports_nothing(
    database: Database,
    settings: Settings,
    seeded: None,
    upstream: FakeUpstream,
    setup: Callable[[FakeUpstream], None],
    reason: str,
) -> None:
    setup(upstream)
    source_id = await add_source(database, SourceKind.WFP_HDX, f"{upstream.url}/f.csv")
    run = await run_source(database, source_id, trigger=RunTrigger.SCHEDULE, settings=settings)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and reason in run.error, run.error
    assert run.inserted == 0
    assert await count_prices(database) == 0


async def test_a_server_that_never_answers_fails_the_run_after_its_retries(
    database: Database, settings: Settings, seeded: None, upstream: FakeUpstream
) -> None:
    upstream.hang("/f.csv")
    source_id = await add_source(database, SourceKind.WFP_HDX, f"{upstream.url}/f.csv")
    async with new_client(allowed_hosts=[LOOPBACK], timeout_s=0.2) as client:
        run = await run_source(
            database, source_id, trigger=RunTrigger.SCHEDULE, settings=settings, client=client
        )
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "no answer" in run.error and "3 attempts" in run.error
    assert upstream.hits("/f.csv") == 3


async def test_invalid_feed_xml_fails_the_run(
    database: Database, settings: Settings, seeded: None, upstream: FakeUpstream
) -> None:
    upstream.route(
        "/leads.rss",
        b"<?xml version='1.0'?><rss><channel><title>Leads</channel></rss>",
        content_type="application/rss+xml",
    )
    source_id = await add_source(database, SourceKind.RSS_LEADS, f"{upstream.url}/leads.rss")
    run = await run_source(database, source_id, trigger=RunTrigger.SCHEDULE, settings=settings)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "not valid RSS or Atom" in run.error


async def test_a_failure_while_storing_rolls_back_everything_and_the_next_source_runs(
    database: Database,
    settings: Settings,
    seeded: None,
    upstream: FakeUpstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upstream.route("/f.csv", SAMPLE)
    upstream.route("/g.csv", SAMPLE)
    broken = await add_source(database, SourceKind.WFP_HDX, f"{upstream.url}/f.csv")
    healthy = await add_source(database, SourceKind.WFP_HDX, f"{upstream.url}/g.csv")
    real_hold = ingest._hold

    async def fail_after_inserting(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "_hold", fail_after_inserting)
    run = await run_source(database, broken, trigger=RunTrigger.SCHEDULE, settings=settings)
    assert run.status is RunStatus.FAILED and run.error == "RuntimeError: disk full"
    assert await count_prices(database) == 0  # the rows inserted before the failure are gone

    monkeypatch.setattr(ingest, "_hold", real_hold)
    ok = await run_source(database, healthy, trigger=RunTrigger.SCHEDULE, settings=settings)
    assert ok.status is RunStatus.SUCCEEDED and ok.inserted == 317
