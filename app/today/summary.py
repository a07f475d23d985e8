"""The Today summary: pending prices and field reports, leads to verify, SMS budgets and held
SMS, failed job runs, stale series, unmapped source names and the last day's deliveries, for
the countries the staff member covers.

Each part is one aggregate query (or the service that already answers it: budgets, stale
series), so the page stays fast however many rows the tables hold. Every part is scoped the way
its own list is: the staff member's countries, and for runs and sources of no country, admins.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts import service as alerts
from app.alerts.models import ChannelName, Delivery, DeliveryStatus
from app.core import clock
from app.core.config import Settings
from app.core.db import run_core
from app.leads.models import BuyerLead, LeadStatus
from app.prices.models import PriceObservation, PriceStatus
from app.prices.reads import field_reports
from app.prices.stale import FRESH_DAYS, silent_series, stale_series
from app.sources.models import JobRun, RunStatus, Source, UnmappedName
from app.sources.service import managed_in_scope, runs_in_scope
from app.today.models import (
    BudgetToday,
    DeliveryCount,
    RunProblem,
    StaleToday,
    TodayOut,
    Waiting,
)

# How far back failed runs and deliveries are counted: the day a CDE looks back on each morning.
LOOKBACK = dt.timedelta(hours=24)
# Failed runs and silent series listed by name; more are counted, and past this many the list
# says no more than the count does.
MAX_RUNS = 20
MAX_SILENT = 20
PROBLEM_RUNS = (RunStatus.FAILED, RunStatus.ABANDONED)


def _in(column: Any, countries: frozenset[str] | None) -> sa.ColumnElement[bool]:
    return sa.true() if countries is None else col(column).in_(sorted(countries))


def _waiting(count: int | None, oldest: dt.datetime | None) -> Waiting:
    return Waiting(count=count or 0, oldest=oldest)


async def today(
    session: AsyncSession, *, staff: Staff, settings: Settings, now: dt.datetime | None = None
) -> TodayOut:
    now = now or clock.utcnow()
    countries = staff.countries
    since = now - LOOKBACK

    reported = field_reports()
    prices = (
        await run_core(
            session,
            sa.select(
                reported.label("reported"),
                sa.func.count(),
                sa.func.min(PriceObservation.created_at),
            )
            .where(
                col(PriceObservation.status) == PriceStatus.PENDING,
                _in(PriceObservation.country_code, countries),
            )
            .group_by(reported),
        )
    ).all()
    by_kind = {bool(row[0]): _waiting(row[1], row[2]) for row in prices}

    leads = (
        await run_core(
            session,
            sa.select(sa.func.count(), sa.func.min(BuyerLead.created_at)).where(
                col(BuyerLead.status) == LeadStatus.PENDING,
                _in(BuyerLead.country_code, countries),
            ),
        )
    ).one()

    runs = (
        await run_core(
            session,
            sa.select(
                col(JobRun.id),
                col(JobRun.job),
                col(JobRun.source_id),
                col(JobRun.country_code),
                col(JobRun.status),
                col(JobRun.started_at),
                col(JobRun.error),
            )
            .where(
                col(JobRun.status).in_(PROBLEM_RUNS),
                col(JobRun.started_at) >= since,
                runs_in_scope(staff),
            )
            .order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc())
            .limit(MAX_RUNS),
        )
    ).all()

    unmapped = (
        await run_core(
            session,
            sa.select(sa.func.count())
            .select_from(UnmappedName)
            .join(Source, col(Source.id) == UnmappedName.source_id)
            .where(col(UnmappedName.mapped_to).is_(None), managed_in_scope(staff)),
        )
    ).scalar_one()

    deliveries = (
        await run_core(
            session,
            sa.select(col(Delivery.status), col(Delivery.channel), sa.func.count())
            .where(col(Delivery.created_at) >= since, _in(Delivery.country_code, countries))
            .group_by(col(Delivery.status), col(Delivery.channel))
            .order_by(col(Delivery.status), col(Delivery.channel)),
        )
    ).all()

    silent_count, silent = await silent_series(session, countries=countries, limit=MAX_SILENT)
    budgets = await alerts.budgets(session, staff=staff, settings=settings)
    return TodayOut(
        countries=[b.country for b in budgets],
        pending_prices=by_kind.get(False, _waiting(0, None)),
        pending_reports=by_kind.get(True, _waiting(0, None)),
        pending_leads=_waiting(leads[0], leads[1]),
        budgets=[
            BudgetToday(
                country=b.country,
                day=b.day,
                budget=b.budget,
                spent=b.spent,
                left=max(b.budget - b.spent, Decimal(0)),
                currency=b.currency,
                held=b.held,
            )
            for b in budgets
        ],
        failed_runs=[
            RunProblem(
                id=r.id,
                job=r.job,
                source_id=r.source_id,
                country=r.country_code,
                status=RunStatus(r.status),
                started_at=r.started_at,
                error=r.error,
            )
            for r in runs
        ],
        stale_series=StaleToday(
            watched=await stale_series(session, countries=countries),
            silent_after_days=FRESH_DAYS,
            silent_count=silent_count,
            silent=silent,
        ),
        unmapped_names=unmapped,
        deliveries=[
            DeliveryCount(status=DeliveryStatus(s), channel=ChannelName(c), count=n)
            for s, c, n in deliveries
        ],
    )
