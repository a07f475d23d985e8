"""APScheduler 3 in the app's event loop: fixed housekeeping jobs, and one job per enabled
Source on its own cron schedule.

APScheduler 3 keeps its jobs in memory and cannot share a job store between processes, so on
PostgreSQL only the process holding the scheduler's advisory lock runs it (app/core/leader.py);
when that process dies another takes over within seconds. Every run is also recorded in
`job_run`, whose unique "running" index refuses a second concurrent run of the same job
whatever process starts it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.models import Country
from app.catalogue.service import country_zones
from app.commands.parse import ParserCache
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import AppError, Conflict
from app.core.leader import SCHEDULER_LOCK, Leadership
from app.core.metrics import Metrics
from app.ops.gauges import DatabaseGauges
from app.sources import service as sources
from app.sources.ingest import Counts
from app.sources.models import RunStatus, RunTrigger, Source
from jobs import collect, digests, housekeeping, inbound

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 15 * 60}
SYNC_S = 30  # how soon a source added or changed through the API is scheduled
STALE_JOB = "housekeeping.stale"  # one per country: "housekeeping.stale.MM", for its CDEs
RETENTION_JOB = "housekeeping.retention"
HOUSEKEEPING_SCHEDULE = {
    "housekeeping.leads": CronTrigger(minute=5, timezone=dt.UTC),  # hourly
    STALE_JOB: CronTrigger(hour=0, minute=30, timezone=dt.UTC),  # 07:00 in Yangon, 07:30 in Hanoi
    # Daily, at night in every CLMV country, when the fewest messages go out.
    RETENTION_JOB: CronTrigger(hour=19, minute=15, timezone=dt.UTC),
    "housekeeping.console_sessions": CronTrigger(minute=35, timezone=dt.UTC),  # hourly
}


class Scheduler:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        on_queued: Callable[[], None] | None = None,
        parsers: ParserCache | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.on_queued = on_queued  # wakes this process's dispatcher when messages are queued
        # The process's parser cache when it has one (mic run), for answering stored SMS.
        self.parsers = parsers or ParserCache(settings.default_locale)
        self.leadership = Leadership(
            database,
            lock_id=SCHEDULER_LOCK,
            name="the scheduler",
            holder=settings.process_label,
        )
        # The process's metrics; without them, a registry of its own that nobody scrapes. The
        # scheduler's leader is the one process that exports what the database holds.
        self.metrics = metrics or Metrics(settings.process_label)
        self.metrics.watch_leader("scheduler", self.leadership)
        gauges = DatabaseGauges(database, settings, self.leadership)
        self.metrics.register(gauges, refresh=gauges.refresh)
        self._scheduler: AsyncIOScheduler | None = None
        self._source_jobs: dict[str, str] = {}  # job id -> the schedule it was added with

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    async def run(self) -> None:
        await self.leadership.run(self._elected, self._deposed)

    def stop(self) -> None:
        self.leadership.stop()

    async def _elected(self) -> None:
        scheduler = AsyncIOScheduler(timezone=dt.UTC, job_defaults=JOB_DEFAULTS)
        self._scheduler, self._source_jobs = scheduler, {}
        scheduler.add_job(
            self.sync_sources,
            IntervalTrigger(seconds=SYNC_S),
            id="sources.sync",
            next_run_time=clock.utcnow(),
        )
        scheduler.add_job(
            self.queue_due, IntervalTrigger(seconds=digests.INTERVAL_S), id="alerts.due"
        )
        scheduler.add_job(
            self.answer_unanswered,
            IntervalTrigger(seconds=inbound.INTERVAL_S),
            id="inbound.unanswered",
        )
        async with self.database.read_session() as session:
            countries = (await session.exec(select(Country.code))).all()
        for job_id, trigger in HOUSEKEEPING_SCHEDULE.items():
            for one in [f"{STALE_JOB}.{c}" for c in countries] if job_id == STALE_JOB else [job_id]:
                scheduler.add_job(self.run_housekeeping, trigger, args=[one], id=one)
        scheduler.start()
        log.info("scheduler started")

    async def _deposed(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        log.info("scheduler stopped")

    async def sync_sources(self) -> None:
        """Add, reschedule or remove each source's job to match the database."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        async with self.database.read_session() as session:
            enabled = (await session.exec(select(Source).where(col(Source.enabled)))).all()
            zones = await country_zones(session)
        wanted = {sources.job_id(s): s for s in enabled}
        for job_id in set(self._source_jobs) - set(wanted):
            scheduler.remove_job(job_id)
            del self._source_jobs[job_id]
        for job_id, source in wanted.items():
            stamp = f"{source.schedule}|{source.country_code}"
            if self._source_jobs.get(job_id) == stamp:
                continue
            zone = zones.get(source.country_code or "", "UTC")
            scheduler.add_job(
                self.run_source,
                sources.check_schedule(source.schedule, zone),
                args=[source.id],
                id=job_id,
                replace_existing=True,
            )
            self._source_jobs[job_id] = stamp

    async def queue_due(self) -> None:
        """Digests and scheduled notices; too frequent to keep a job run of each."""
        try:
            queued = await digests.queue_due(self.database, self.settings)
        except Exception:  # logged; the next round tries again
            log.exception("building digests or sending scheduled notices failed")
            return
        if queued and self.on_queued is not None:
            self.on_queued()

    async def answer_unanswered(self) -> None:
        """Inbound SMS stored but left unanswered; too frequent to keep a job run of each."""
        try:
            answered = await inbound.answer_unanswered(self.database, self.parsers, self.settings)
        except Exception:  # logged; the next round tries again
            log.exception("answering stored inbound SMS failed")
            return
        if answered and self.on_queued is not None:
            self.on_queued()

    async def run_source(self, source_id: int) -> None:
        try:
            run = await collect.run_source(
                self.database, source_id, trigger=RunTrigger.SCHEDULE, settings=self.settings
            )
        except AppError as exc:  # a manual run of it is going on, or it was just deleted
            log.info("source %s not run: %s", source_id, exc.detail)
            return
        log.info("source %s: %s", source_id, run.status)

    async def run_housekeeping(self, job: str) -> None:
        """One housekeeping job, recorded as a job run; a failure is recorded, never raised."""
        kind, _, country = job.rpartition(".") if job.startswith(STALE_JOB) else (job, "", "")
        work = self._housekeeping_jobs(country or None)[kind]
        try:
            async with self.database.session() as session:
                run = await sources.start_run(
                    session,
                    job=job,
                    source_id=None,
                    country=country or None,
                    trigger=RunTrigger.SCHEDULE,
                )
                await session.commit()
        except Conflict:
            return
        counts, status, error = Counts(), RunStatus.SUCCEEDED, None
        try:
            async with collect.heartbeat(self.database, run.id or 0):
                await work(self.database, counts)
        except Exception as exc:  # recorded; the other jobs carry on
            log.exception("%s failed", job)
            status, error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
        async with self.database.session() as session:
            run = await session.merge(run)
            sources.finish_run(run, counts, status=status, error=error)
            await session.commit()

    def _housekeeping_jobs(
        self, country: str | None
    ) -> dict[str, Callable[[Database, Counts], Awaitable[None]]]:
        """Each job, given the database: most do their work in one transaction; retention
        takes a transaction per batch."""
        settings = self.settings
        return {
            "housekeeping.leads": _in_one_transaction(housekeeping.expire_leads),
            STALE_JOB: _in_one_transaction(
                lambda session, counts: housekeeping.report_stale(
                    session, counts, country=country or "", settings=settings
                )
            ),
            RETENTION_JOB: lambda database, counts: housekeeping.apply_retention(
                database, counts, settings=settings
            ),
            "housekeeping.console_sessions": _in_one_transaction(
                lambda session, counts: housekeeping.prune_console_sessions(
                    session, counts, settings=settings
                )
            ),
        }

    def next_run_times(self) -> dict[str, dt.datetime | None]:
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}


def _in_one_transaction(
    work: Callable[[AsyncSession, Counts], Awaitable[None]],
) -> Callable[[Database, Counts], Awaitable[None]]:
    async def run(database: Database, counts: Counts) -> None:
        async with database.session() as session:
            await work(session, counts)

    return run


async def run_scheduler(
    database: Database, settings: Settings, *, metrics: Metrics | None = None
) -> None:
    """`mic scheduler`: a process that only schedules (and leads when it can)."""
    scheduler = Scheduler(database, settings, metrics=metrics)
    try:
        await scheduler.run()
    except asyncio.CancelledError:
        scheduler.stop()
        raise
