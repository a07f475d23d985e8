"""The facts of the deployment as the database holds them: the outbox of each channel, the
deliveries of the last day, each country's SMS today, inbound messages and job runs. One read,
a few aggregate queries along indexes, for the Prometheus gauges (app/ops/gauges.py) and for
`mic status` alike."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.claims import due_now
from app.alerts.models import (
    PENDING_STATUSES,
    ChannelName,
    DeliveryCount,
    DeliveryStatus,
)
from app.alerts.service import country_budgets
from app.alerts.tables import CHANNEL_PACE, COUNTRY, DELIVERY
from app.commands.models import InboundMessage
from app.core import clock
from app.core.config import Settings
from app.core.db import core_table, run_core
from app.ops.models import (
    ChannelOutbox,
    Facts,
    InboundCount,
    LastRun,
    RunCount,
    SmsToday,
)
from app.sources.models import JobRun, RunStatus

INBOUND = core_table(InboundMessage)
RUNS = core_table(JobRun)

# The window of the counts "of the last day": the day a technician looks back on.
LOOKBACK: Final = dt.timedelta(hours=24)
# An SMS sent today was queued at most this long before: retries give up within hours and
# quiet hours end within a day. The bound lets the count of today's segments read the
# deliveries of the last days along their created_at index instead of the whole table.
SENT_WITHIN: Final = dt.timedelta(days=2)
SENT_STATUSES: Final = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
# A job that succeeded, or found nothing new upstream, is not failing.
GOOD_RUNS: Final = (RunStatus.SUCCEEDED, RunStatus.SKIPPED)
BAD_RUNS: Final = (RunStatus.FAILED, RunStatus.ABANDONED)
NOT_SERVED: Final = "not_served"
UNANSWERED: Final = "unanswered"


async def gather_facts(
    session: AsyncSession, *, settings: Settings, now: dt.datetime | None = None
) -> Facts:
    now = now or clock.utcnow()
    return Facts(
        at=now,
        outbox=await _outbox(session, now),
        deliveries_24h=await _deliveries(session, now - LOOKBACK),
        sms_today=await _sms_today(session, settings, now),
        inbound_24h=await _inbound(session, now - LOOKBACK),
        runs_24h=await _run_counts(session, now - LOOKBACK),
        last_runs=await _last_runs(session),
    )


async def _outbox(session: AsyncSession, now: dt.datetime) -> list[ChannelOutbox]:
    waiting: dict[ChannelName, dict[DeliveryStatus, int]] = defaultdict(dict)
    pending = DELIVERY.c.status.in_([s.value for s in PENDING_STATUSES])
    for channel, status, count in await _counted(
        session, DELIVERY.c.channel, DELIVERY.c.status, where=pending
    ):
        waiting[ChannelName(channel)][DeliveryStatus(status)] = count
    oldest = dict(
        (
            await run_core(
                session,
                sa.select(DELIVERY.c.channel, sa.func.min(DELIVERY.c.next_attempt_at))
                .where(*due_now(now))
                .group_by(DELIVERY.c.channel),
            )
        ).all()
    )
    paused = dict(
        (
            await run_core(
                session,
                sa.select(CHANNEL_PACE.c.channel, CHANNEL_PACE.c.paused_until).where(
                    CHANNEL_PACE.c.paused_until > now
                ),
            )
        ).all()
    )
    return [
        ChannelOutbox(
            channel=channel,
            waiting={s: waiting[channel].get(s, 0) for s in PENDING_STATUSES},
            oldest_due_s=_seconds(now - oldest[channel]) if channel in oldest else None,
            paused_s=_seconds(paused[channel] - now) if channel in paused else 0.0,
        )
        for channel in ChannelName
    ]


async def _deliveries(session: AsyncSession, since: dt.datetime) -> list[DeliveryCount]:
    rows = await _counted(
        session, DELIVERY.c.channel, DELIVERY.c.status, where=DELIVERY.c.created_at >= since
    )
    return [
        DeliveryCount(channel=ChannelName(c), status=DeliveryStatus(s), count=n) for c, s, n in rows
    ]


async def _sms_today(session: AsyncSession, settings: Settings, now: dt.datetime) -> list[SmsToday]:
    zones = dict((await run_core(session, sa.select(COUNTRY.c.code, COUNTRY.c.timezone))).all())
    out = []
    for budget in await country_budgets(session, countries=None, settings=settings, now=now):
        start = clock.local_day_start(now, zones[budget.country])
        segments = (
            await run_core(
                session,
                sa.select(sa.func.coalesce(sa.func.sum(DELIVERY.c.segments), 0)).where(
                    DELIVERY.c.created_at >= start - SENT_WITHIN,
                    DELIVERY.c.channel == ChannelName.SMS.value,
                    DELIVERY.c.country_code == budget.country,
                    DELIVERY.c.status.in_([s.value for s in SENT_STATUSES]),
                    DELIVERY.c.sent_at >= start,
                ),
            )
        ).scalar_one()
        out.append(
            SmsToday(
                country=budget.country,
                day=budget.day,
                segments=int(segments),
                spent=budget.spent,
                budget=budget.budget,
                left=max(budget.budget - budget.spent, Decimal(0)),
                currency=budget.currency,
                held=budget.held,
            )
        )
    return out


async def _inbound(session: AsyncSession, since: dt.datetime) -> list[InboundCount]:
    """Answered within the window (along the answered_at index), or not answered at all."""
    rows = await _counted(
        session,
        INBOUND.c.channel,
        INBOUND.c.intent,
        INBOUND.c.answered_at.is_not(None),
        where=sa.or_(INBOUND.c.answered_at >= since, INBOUND.c.answered_at.is_(None)),
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for channel, intent, was_answered, count in rows:
        outcome = (intent or NOT_SERVED) if was_answered else UNANSWERED
        counts[(channel, outcome)] += count
    return [
        InboundCount(channel=channel, outcome=outcome, count=count)
        for (channel, outcome), count in sorted(counts.items())
    ]


async def _run_counts(session: AsyncSession, since: dt.datetime) -> list[RunCount]:
    rows = await _counted(session, RUNS.c.job, RUNS.c.status, where=RUNS.c.started_at >= since)
    return [RunCount(job=job, status=RunStatus(status), count=n) for job, status, n in rows]


async def _last_runs(session: AsyncSession) -> list[LastRun]:
    """Each job's latest run, the duration of its latest finished one, and since when it has
    been failing: the first failed run after its last good one, while its latest finished run
    failed."""
    latest = sa.select(sa.func.max(RUNS.c.id)).group_by(RUNS.c.job)
    last = (
        await run_core(
            session,
            sa.select(RUNS.c.job, RUNS.c.status, RUNS.c.started_at, RUNS.c.finished_at)
            .where(RUNS.c.id.in_(latest))
            .order_by(RUNS.c.job),
        )
    ).all()
    latest_finished = (
        sa.select(sa.func.max(RUNS.c.id))
        .where(RUNS.c.finished_at.is_not(None))
        .group_by(RUNS.c.job)
    )
    durations = {
        job: _seconds(end - start)
        for job, start, end in (
            await run_core(
                session,
                sa.select(RUNS.c.job, RUNS.c.started_at, RUNS.c.finished_at).where(
                    RUNS.c.id.in_(latest_finished)
                ),
            )
        ).all()
    }
    last_good = (
        sa.select(RUNS.c.job, sa.func.max(RUNS.c.started_at).label("at"))
        .where(RUNS.c.status.in_([s.value for s in GOOD_RUNS]))
        .group_by(RUNS.c.job)
        .subquery()
    )
    failing = dict(
        (
            await run_core(
                session,
                sa.select(RUNS.c.job, sa.func.min(RUNS.c.started_at))
                .outerjoin(last_good, last_good.c.job == RUNS.c.job)
                .where(
                    RUNS.c.status.in_([s.value for s in BAD_RUNS]),
                    sa.or_(last_good.c.at.is_(None), RUNS.c.started_at > last_good.c.at),
                )
                .group_by(RUNS.c.job),
            )
        ).all()
    )
    return [
        LastRun(
            job=job,
            status=RunStatus(status),
            started_at=started,
            finished_at=ended,
            duration_s=durations.get(job),
            failing_since=failing.get(job),
        )
        for job, status, started, ended in last
    ]


async def _counted(
    session: AsyncSession, *by: sa.ColumnElement[Any], where: sa.ColumnElement[bool]
) -> list[Any]:
    """The values of `by` among the rows where `where` holds, each with how many rows have
    them, in the order of `by`."""
    query = sa.select(*by, sa.func.count()).where(where).group_by(*by).order_by(*by)
    return list((await run_core(session, query)).all())


def _seconds(delta: dt.timedelta) -> float:
    return max(0.0, delta.total_seconds())
