"""The scheduler: its fixed jobs, one job per enabled source kept in step with the database,
failures recorded without stopping it, and on PostgreSQL one leader at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from sqlmodel import col, select

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.leads.models import BuyerLead, LeadKind, LeadStatus
from app.sources.models import JobRun, RunStatus, RunTrigger, Source, SourceKind
from jobs.scheduler import STALE_JOB, Scheduler
from tests.conftest import ENGINE
from tests.fakes.upstream import FakeUpstream

DEADLINE_S = 20


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Leadership changes in other tasks (and, on PostgreSQL, other connections): poll it."""
    try:
        async with asyncio.timeout(DEADLINE_S):
            while not condition():  # noqa: ASYNC110 - no event to wait on across connections
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"waited {DEADLINE_S} s for {what}") from None


@pytest.fixture
async def scheduler(database: Database, settings: Settings) -> AsyncIterator[Scheduler]:
    found = Scheduler(database, settings)
    task = asyncio.create_task(found.run())
    await wait_for(lambda: found.running, "elected")
    yield found
    found.stop()
    await task
    assert not found.running


async def add_source(
    database: Database, schedule: str, *, url: str = "https://example.invalid/none.csv"
) -> int:
    async with database.session() as session:
        source = Source(
            slug=f"s{schedule.replace(' ', '').replace('*', 'x')}",
            name="s",
            kind=SourceKind.WFP_HDX,
            country_code="MM",
            url=url,
            schedule=schedule,
            created_by="test",
        )
        session.add(source)
        await session.commit()
        return source.id or 0


async def test_fixed_jobs_and_one_job_per_enabled_source(
    database: Database, seeded: None, scheduler: Scheduler
) -> None:
    await wait_for(lambda: "sources.sync" in scheduler.next_run_times(), "sync job")
    jobs = set(scheduler.next_run_times())
    assert {"housekeeping.leads", "housekeeping.retention", "alerts.due"} <= jobs
    assert {f"{STALE_JOB}.{c}" for c in ("MM", "KH", "LA", "VN")} <= jobs  # one per country
    source_id = await add_source(database, "30 6 * * *")
    await scheduler.sync_sources()
    fire = scheduler.next_run_times()[f"source:{source_id}"]
    assert fire is not None and fire.astimezone(dt.UTC).time() == dt.time(0, 0)  # 06:30 Yangon

    async with database.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        source.schedule = "0 17 * * 1-5"
        await session.commit()
    await scheduler.sync_sources()
    fire = scheduler.next_run_times()[f"source:{source_id}"]
    assert fire is not None and fire.astimezone(dt.UTC).time() == dt.time(10, 30)

    async with database.session() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        source.enabled = False
        await session.commit()
    await scheduler.sync_sources()
    assert f"source:{source_id}" not in scheduler.next_run_times()


async def test_a_failing_source_is_recorded_and_housekeeping_carries_on(
    database: Database, seeded: None, scheduler: Scheduler, upstream: FakeUpstream
) -> None:
    upstream.route("/gone.csv", "no such file", status=404)
    source_id = await add_source(database, "0 6 * * *", url=f"{upstream.url}/gone.csv")
    await scheduler.run_source(source_id)
    async with database.session() as session:
        old_lead = BuyerLead(
            kind=LeadKind.BUY,
            commodity_id=1,
            quantity=1,
            unit_id=1,
            buyer_name="b",
            contact="c",
            country_code="MM",
            expires_on=clock.today("Asia/Yangon") - dt.timedelta(days=3),
            created_by="t",
        )
        session.add(old_lead)
        old_run = JobRun(
            job="housekeeping.leads",
            trigger=RunTrigger.SCHEDULE,
            status=RunStatus.SUCCEEDED,
            runner="t",
            started_at=clock.utcnow() - dt.timedelta(days=200),
            finished_at=clock.utcnow() - dt.timedelta(days=200),
        )
        session.add(old_run)
        await session.commit()
    await scheduler.run_housekeeping("housekeeping.leads")
    await scheduler.run_housekeeping("housekeeping.retention")
    async with database.session() as session:
        runs = (await session.exec(select(JobRun).order_by(col(JobRun.id)))).all()
        lead = await session.get(BuyerLead, old_lead.id)
    assert lead is not None and lead.status is LeadStatus.EXPIRED
    by_job = {r.job: r for r in runs}
    assert by_job[f"source:{source_id}"].status is RunStatus.FAILED
    assert by_job["housekeeping.leads"].status is RunStatus.SUCCEEDED
    assert by_job["housekeeping.leads"].updated == 1
    assert by_job["housekeeping.retention"].updated == 1  # the 200-day-old run went
    assert all(r.started_at > clock.utcnow() - dt.timedelta(days=1) for r in runs)


@pytest.mark.skipif(ENGINE != "postgresql", reason="leader election is PostgreSQL's")
async def test_one_scheduler_leads_and_another_takes_over(
    database: Database, settings: Settings, seeded: None
) -> None:
    second_db = Database(settings.database_url)
    first, second = Scheduler(database, settings), Scheduler(second_db, settings)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        await wait_for(lambda: first.running or second.running, "a leader")
        leader, follower = (first, second) if first.running else (second, first)
        assert not follower.running
        leader.stop()
        await wait_for(lambda: follower.running, "the follower to take over")
        assert not leader.running
    finally:
        first.stop()
        second.stop()
        await asyncio.gather(*tasks)
        await second_db.dispose()
