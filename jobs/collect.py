"""Running one source: record the run, fetch and parse outside any transaction, then import
everything in one transaction, so a failure leaves nothing half-imported and says why."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.actor import Actor
from app.alerts.triggers import Alerts
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import AppError, NotFound
from app.sources import feed_leads, ingest
from app.sources import service as sources
from app.sources.ingest import Counts
from app.sources.models import JobRun, RunStatus, RunTrigger, Source, SourceKind
from app.sources.records import CollectorError
from jobs.collectors import cbm_fx, csv_url, currency_api, html_table, rss_leads, wfp_hdx
from jobs.collectors.base import Collected
from jobs.collectors.http import new_client

log = logging.getLogger(__name__)

Collect = Callable[[httpx.AsyncClient, Source], Awaitable[Collected]]
COLLECTORS: dict[SourceKind, Collect] = {
    SourceKind.WFP_HDX: wfp_hdx.collect,
    SourceKind.CBM_FX: cbm_fx.collect,
    SourceKind.CURRENCY_API: currency_api.collect,
    SourceKind.RSS_LEADS: rss_leads.collect,
    SourceKind.CSV_URL: csv_url.collect,
    SourceKind.HTML_TABLE: html_table.collect,
}
# Upper bound for a whole run; fetches have their own, shorter, deadlines.
RUN_DEADLINE_S = 15 * 60

Progress = Callable[[str], None]  # called as each stage starts, then with the outcome
STAGES = 3


def actor(source: Source) -> Actor:
    return Actor.source(source.slug)


async def start(database: Database, source_id: int, trigger: RunTrigger) -> int:
    """Record the start of a run (refused while one is going on); returns the run's id."""
    async with database.session() as session:
        source = await session.get(Source, source_id)
        if source is None:
            raise NotFound(f"no source {source_id}")
        run = await sources.start_run(
            session,
            job=sources.job_id(source),
            source_id=source_id,
            country=source.country_code,
            trigger=trigger,
        )
        await session.commit()
        assert run.id is not None
        return run.id


async def run_source(
    database: Database,
    source_id: int,
    *,
    trigger: RunTrigger,
    settings: Settings,
    run_id: int | None = None,
    client: httpx.AsyncClient | None = None,
    progress: Progress | None = None,
    offline: Callable[[], Collected] | None = None,
) -> JobRun:
    """One run of a source. `offline` reads a downloaded file instead of fetching
    (`mic import wfp FILE`); `settings` for the alerts a trusted source's prices send and the
    private hosts it may fetch from (only public addresses otherwise)."""
    say = progress or (lambda _: None)
    run_id = run_id if run_id is not None else await start(database, source_id, trigger)
    counts = Counts()
    status, error = RunStatus.SUCCEEDED, None
    try:
        async with asyncio.timeout(RUN_DEADLINE_S), heartbeat(database, run_id):
            async with database.session() as session:
                source = await session.get(Source, source_id)
                assert source is not None
            if offline is not None:
                say("reading the file")
                content = offline()
            else:
                say("fetching")
                content = await _fetch(source, client, settings.source_allowed_hosts)
            counts.add_problems(content.problems)
            say(
                f"importing {len(content.prices) + len(content.rates) + len(content.leads)} records"
            )
            async with database.session() as session:
                source = await session.get(Source, source_id)
                assert source is not None
                await _ingest(session, source, content, counts, settings)
                if content.unchanged and not (counts.inserted or counts.updated):
                    status, error = RunStatus.SKIPPED, content.unchanged
                source.etag = content.etag or source.etag
                source.last_modified = content.last_modified or source.last_modified
                source.remote_version = content.remote_version or source.remote_version
                session.add(source)
                await session.commit()
    except (CollectorError, AppError) as exc:
        status, error = RunStatus.FAILED, str(getattr(exc, "detail", None) or exc)
        counts = _nothing_imported(counts)
    except TimeoutError:
        status, error = RunStatus.FAILED, f"the run took longer than {RUN_DEADLINE_S} s; stopped"
        counts = _nothing_imported(counts)
    except Exception as exc:  # a bug or a database failure: recorded, never kills the scheduler
        log.exception("source %s failed", source_id)
        status, error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
        counts = _nothing_imported(counts)
    except asyncio.CancelledError:  # the process is stopping: say so rather than leave it running
        stopped = "stopped: the process shut down during the run"
        await asyncio.shield(_finish(database, run_id, _nothing_imported(counts), stopped))
        raise
    say(status)
    return await _finish(database, run_id, counts, error, status=status)


async def _finish(
    database: Database,
    run_id: int,
    counts: Counts,
    error: str | None,
    *,
    status: RunStatus = RunStatus.FAILED,
) -> JobRun:
    async with database.session() as session:
        run = await session.get(JobRun, run_id)
        assert run is not None
        sources.finish_run(run, counts, status=status, error=error)
        session.add(run)
        await session.commit()
        await session.refresh(run)
        return run


@contextlib.asynccontextmanager
async def heartbeat(database: Database, run_id: int) -> AsyncIterator[None]:
    """Touch the run while it goes on, so that another process can tell it from one whose
    process died (service.ABANDONED_AFTER)."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(sources.HEARTBEAT.total_seconds())
            try:
                async with database.session() as session:
                    await sources.beat(session, run_id)
            except Exception:  # SQLite busy with the run's own import: the next beat will do
                log.debug("heartbeat of run %s missed", run_id, exc_info=True)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _nothing_imported(counts: Counts) -> Counts:
    """After a rollback only what was seen and why rows were refused still holds."""
    return Counts(seen=counts.seen, rejected=counts.rejected, problems=counts.problems)


async def _fetch(
    source: Source, client: httpx.AsyncClient | None, allowed_hosts: Collection[str]
) -> Collected:
    collector = COLLECTORS[source.kind]
    if client is not None:
        return await collector(client, source)
    async with new_client(allowed_hosts=allowed_hosts) as own:
        return await collector(own, source)


async def _ingest(
    session: AsyncSession, source: Source, content: Collected, counts: Counts, settings: Settings
) -> None:
    who = actor(source)
    if source.kind is SourceKind.RSS_LEADS:
        await feed_leads.ingest_leads(
            session, source=source, records=content.leads, counts=counts, actor=who
        )
    elif source.kind in (SourceKind.CBM_FX, SourceKind.CURRENCY_API):
        await ingest.ingest_rates(
            session, source=source, records=content.rates, counts=counts, actor=who
        )
    else:
        await ingest.ingest_prices(
            session,
            source=source,
            records=content.prices,
            counts=counts,
            actor=who,
            alerts=Alerts(settings),
        )


class SourceRunner:
    """Runs sources in the background of this process, for `POST /sources/{id}/run`."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self._tasks: set[asyncio.Task[JobRun]] = set()

    async def spawn(self, source_id: int, run_id: int) -> None:
        """Carry on a run whose start the caller recorded (and committed)."""
        task = asyncio.create_task(
            run_source(
                self.database,
                source_id,
                trigger=RunTrigger.MANUAL,
                settings=self.settings,
                run_id=run_id,
            )
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
