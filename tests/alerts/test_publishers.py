"""A trusted source's fresh price alerts its followers whichever process collects it: `mic
collect`, and `mic scheduler` running alone on its schedule. Each test runs the real `mic`
process against the test's database (no API app, no lifespan anywhere) and looks for the
follower's row in the outbox. The API, SMS and Telegram ways in are tested with their edges
(tests/prices, tests/leads, tests/sms, tests/telegram)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal

from sqlmodel import col, select

from app.core.db import Database
from app.prices.models import PriceObservation, PriceStatus
from app.sources.models import JobRun, RunStatus, RunTrigger, Source, SourceKind
from tests.alerts.conftest import alerts_to, follower
from tests.fakes.upstream import LOOPBACK, FakeUpstream
from tests.sources.conftest import MUSE_BOARD_MAPPING
from tests.test_cli import MIC, mic_env

# The scheduler fires at the next minute boundary, after starting up: at most about 60 s.
SCHEDULE_WAIT_S = 120


async def trusted_muse_board(database: Database, url: str, *, schedule: str) -> int:
    """A trusted CSV source of Muse mango prices, as a CDE would configure it."""
    async with database.session() as s:
        source = Source(
            slug="muse-board",
            name="Muse board",
            kind=SourceKind.CSV_URL,
            country_code="MM",
            url=url,
            schedule=schedule,
            mapping=MUSE_BOARD_MAPPING,
            trusted=True,
            created_by="test",
        )
        s.add(source)
        await s.commit()
        assert source.id is not None
        return source.id


def muse_board(upstream: FakeUpstream) -> str:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    upstream.route(
        "/muse.csv",
        "Date,Market,Product,Variety,Price (CNY/tonne)\n"
        f"{yesterday},Muse,Mango,Sein Ta Lone,12600\n",
    )
    return f"{upstream.url}/muse.csv"


async def published_price(database: Database) -> int:
    async with database.session() as s:
        price = (await s.exec(select(PriceObservation))).one()
    assert price.status is PriceStatus.PUBLISHED and price.source == "muse-board"
    assert price.id is not None
    return price.id


async def mic(database_url: str, *args: str) -> asyncio.subprocess.Process:
    """`mic ARGS` as its own process; asynchronous, so that the fake upstream in this event loop
    can answer it."""
    return await asyncio.create_subprocess_exec(
        *MIC,
        *args,
        # The fake upstream is on loopback: allowed here as an on-premise portal would be.
        env=mic_env(database_url, MIC_SOURCE_ALLOWED_HOSTS=LOOPBACK),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_mic_collect_of_a_trusted_source_alerts_the_followers(
    database_url: str, database: Database, seeded: None, upstream: FakeUpstream
) -> None:
    follows = await follower(database)
    source_id = await trusted_muse_board(database, muse_board(upstream), schedule="30 6 * * *")
    process = await mic(database_url, "collect", "muse-board")
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    assert "succeeded" in out.decode(), out.decode()
    assert await alerts_to(database, follows) == [("price", await published_price(database))]
    async with database.session() as s:
        run = (await s.exec(select(JobRun).where(JobRun.source_id == source_id))).one()
    assert (run.trigger, run.inserted) == (RunTrigger.CLI, 1)


async def test_mic_scheduler_alone_alerts_the_followers_of_a_price_it_collects(
    database_url: str, database: Database, seeded: None, upstream: FakeUpstream
) -> None:
    follows = await follower(database)
    source_id = await trusted_muse_board(database, muse_board(upstream), schedule="* * * * *")
    process = await mic(database_url, "scheduler")

    async def first_run_done() -> bool:
        # The run commits its prices and their alerts, then records its end in a transaction of
        # its own: wait for both before stopping the scheduler.
        async with database.session() as s:
            run = (
                await s.exec(select(JobRun).where(JobRun.source_id == source_id).limit(1))
            ).first()
        return run is not None and run.status is not RunStatus.RUNNING

    try:
        async with asyncio.timeout(SCHEDULE_WAIT_S):
            while not (await alerts_to(database, follows) and await first_run_done()):
                if process.returncode is not None:
                    _, err = await process.communicate()
                    raise AssertionError(f"mic scheduler stopped: {err.decode()}")
                await asyncio.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)  # Ctrl-C, as its banner says
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    print(out.decode(), err.decode(), sep="")  # for `pytest -s`: what the scheduler said
    assert await alerts_to(database, follows) == [("price", await published_price(database))]
    async with database.session() as s:
        run = (
            await s.exec(
                select(JobRun).where(JobRun.source_id == source_id).order_by(col(JobRun.id))
            )
        ).first()
    assert run is not None
    assert (run.trigger, run.status, run.inserted) == (RunTrigger.SCHEDULE, RunStatus.SUCCEEDED, 1)
