"""Daily and hourly upkeep: expire leads, apply the retention rules, prune ended console
sessions, report stale series."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.sign_in import end_expired_sessions
from app.alerts import reports
from app.catalogue.models import Country
from app.catalogue.service import country_today
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, core_table, run_core
from app.leads.models import BuyerLead, LeadStatus
from app.lifecycle import retention
from app.prices import stale
from app.sources.ingest import Counts
from app.sources.records import RowProblem

log = logging.getLogger(__name__)


async def expire_leads(session: AsyncSession, counts: Counts) -> None:
    """Open leads past their expiry date in their own country become expired."""
    leads = core_table(BuyerLead)
    for country in (await session.exec(select(Country))).all():
        today = clock.today(country.timezone)
        done = await run_core(
            session,
            leads.update()
            .where(
                leads.c.country_code == country.code,
                leads.c.status.in_([LeadStatus.PENDING, LeadStatus.VERIFIED]),
                leads.c.expires_on < today,
            )
            .values(status=LeadStatus.EXPIRED, updated_at=clock.utcnow()),
        )
        counts.updated += done.rowcount


# Between two batches of a retention rule: long enough for another process's writer (a `mic
# dispatcher` waiting in SQLite's busy handler) to take the lock, short enough to go unnoticed.
BATCH_PAUSE_S = 0.05


async def _pause_between_batches() -> None:
    await asyncio.sleep(BATCH_PAUSE_S)


async def apply_retention(
    database: Database,
    counts: Counts,
    *,
    settings: Settings,
    batch: int = retention.BATCH,
    pause: Callable[[], Awaitable[None]] = _pause_between_batches,
) -> None:
    """Each retention rule (app.lifecycle.retention) in batches of `batch` rows, every batch a
    transaction of its own with a pause after it: this job never holds the write lock for
    longer than one batch, however much a first run after months has to do. `updated` counts
    the rows deleted or anonymised."""
    for rule in retention.rules(settings, clock.utcnow()):
        done = 0
        while True:
            async with database.session() as session:
                changed = await rule.apply(session, batch)
            done += changed
            if changed < batch:
                break
            await pause()
        if done:
            log.info("retention: %d %s", done, rule.done)
        counts.updated += done


async def prune_console_sessions(
    session: AsyncSession, counts: Counts, *, settings: Settings
) -> None:
    counts.updated += await end_expired_sessions(
        session,
        idle=dt.timedelta(minutes=settings.console_idle_minutes),
        lifetime=dt.timedelta(hours=settings.console_session_hours),
    )


async def report_stale(
    session: AsyncSession, counts: Counts, *, country: str, settings: Settings
) -> None:
    """The daily staleness report of one country: each stale series is a line of the run,
    which the country's CDEs see in `GET /job-runs`, and a message to each CDE who set a
    contact (`inserted` counts them). The live list is `GET /prices/stale`."""
    found = await stale.stale_series(session, countries=[country])
    day = await country_today(session, country)
    counts.inserted = await reports.send_stale_reports(
        session, country=country, series=found, day=day, settings=settings
    )
    counts.seen = len(found)
    for line, series in enumerate(found, start=1):
        last = series.last_published or "never"
        counts.problems.append(
            RowProblem(
                line,
                f"{series.commodity} at {series.market}: last published {last}, "
                f"expected every {series.max_age_days} days",
            )
        )
    if found:
        log.warning("%d stale series in %s", len(found), country)
