"""Claiming due deliveries for a dispatcher, in one short transaction.

PostgreSQL locks the rows with FOR UPDATE SKIP LOCKED so that several dispatchers never take the
same delivery; SQLite's BEGIN IMMEDIATE makes the whole claim exclusive. The same transaction
takes tokens from the channel's bucket (app.alerts.pacing), charges SMS to the country's daily
budget (app.alerts.budget), and marks the recipient's address busy so one chat never gets two
messages at once. Sending happens outside any transaction (jobs/dispatcher.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.budget import charge_budget
from app.alerts.locking import is_postgres
from app.alerts.models import ChannelName, DeliveryStatus
from app.alerts.pacing import spend_tokens, take_tokens
from app.alerts.tables import ADDRESS, BROADCAST_TEXT, DELIVERY, PRODUCER
from app.core import clock
from app.core.config import Settings
from app.core.db import run_core
from app.producers.models import ProducerStatus


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    channel: ChannelName
    urn: str
    text: str
    silent: bool
    attempts: int


@dataclass(frozen=True)
class Claim:
    deliveries: list[Claimed]
    wait_s: float  # when nothing was claimed: how long until it is worth asking again


# Deliveries a dispatcher takes once their time comes: queued or retried, and those sending past
# their lease (the dispatcher that claimed them died).
DUE_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.ERRORED, DeliveryStatus.SENDING)


def due_now(now: dt.datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """What makes a delivery due at `now`, on any channel: what claim() takes, and what the
    outbox's oldest due delivery is measured by (app.ops.facts)."""
    return (
        DELIVERY.c.status.in_([s.value for s in DUE_STATUSES]),
        DELIVERY.c.next_attempt_at <= now,
    )


async def claim(
    session: AsyncSession,
    *,
    channel: ChannelName,
    worker: str,
    limit: int,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Claim:
    now = now or clock.utcnow()
    rate = settings.channel_rate(channel)
    granted, wait = await take_tokens(session, channel, limit, rate, now)
    if not granted:
        return Claim([], wait)
    due = (*due_now(now), DELIVERY.c.channel == channel.value)
    columns = (
        DELIVERY.c.id,
        DELIVERY.c.address_id,
        DELIVERY.c.attempts,
        DELIVERY.c.budget_override,
        DELIVERY.c.cost,
        DELIVERY.c.country_code,
    )
    # Answers first: someone who just asked waits for no broadcast, however long. They are
    # the deliveries without an address row (app/alerts/direct.py), so nothing to lock or pace
    # but the delivery; alerts fill what tokens they leave.
    answers = (
        sa.select(
            *columns,
            sa.true().label("active"),
            sa.literal(ProducerStatus.ACTIVE.value).label("status"),
            DELIVERY.c.to_urn.label("urn"),
        )
        .where(*due, DELIVERY.c.address_id.is_(None))
        .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
        .limit(granted)
    )
    if is_postgres(session):
        answers = answers.with_for_update(of=[DELIVERY], skip_locked=True)
    rows = list((await run_core(session, answers)).all())
    if len(rows) < granted:
        alerts = (
            sa.select(*columns, ADDRESS.c.active, PRODUCER.c.status, ADDRESS.c.urn)
            .join(ADDRESS, ADDRESS.c.id == DELIVERY.c.address_id)
            .join(PRODUCER, PRODUCER.c.id == DELIVERY.c.producer_id)
            .where(
                *due,
                sa.or_(ADDRESS.c.next_send_at.is_(None), ADDRESS.c.next_send_at <= now),
            )
            .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
            .limit((granted - len(rows)) * 2)
        )
        if is_postgres(session):
            alerts = alerts.with_for_update(of=[DELIVERY, ADDRESS], skip_locked=True)
        rows += (await run_core(session, alerts)).all()
    chosen: list[Any] = []
    seen: set[str] = set()
    dead: list[int] = []
    stopped: list[int] = []
    for row in rows:
        if not row.active:
            dead.append(row.id)
        elif row.status != ProducerStatus.ACTIVE.value:
            stopped.append(row.id)
        elif row.urn not in seen and len(chosen) < granted:
            seen.add(row.urn)  # one message per recipient at a time
            chosen.append(row)
    await _finish_unsendable(session, dead, stopped, now)
    if channel is ChannelName.SMS:
        chosen = await charge_budget(session, chosen, settings, now)
    if not chosen:
        return Claim([], settings.dispatch_poll_s)
    lease = now + dt.timedelta(seconds=settings.dispatch_lease_s)
    ids = [row.id for row in chosen]
    await run_core(
        session,
        sa.update(DELIVERY)
        .where(DELIVERY.c.id.in_(ids))
        .values(
            status=DeliveryStatus.SENDING.value,
            attempts=DELIVERY.c.attempts + 1,
            next_attempt_at=lease,
            claimed_by=worker,
            updated_at=now,
        ),
    )
    await run_core(
        session,
        sa.update(ADDRESS)
        .where(ADDRESS.c.id.in_([row.address_id for row in chosen if row.address_id is not None]))
        .values(next_send_at=lease),
    )
    await spend_tokens(session, channel, len(chosen))
    texts = await run_core(
        session,
        sa.select(
            DELIVERY.c.id,
            sa.func.coalesce(ADDRESS.c.urn, DELIVERY.c.to_urn).label("urn"),
            BROADCAST_TEXT.c.text,
            DELIVERY.c.silent,
            DELIVERY.c.attempts,
        )
        .select_from(DELIVERY)
        .outerjoin(ADDRESS, ADDRESS.c.id == DELIVERY.c.address_id)
        .join(BROADCAST_TEXT, BROADCAST_TEXT.c.id == DELIVERY.c.text_id)
        .where(DELIVERY.c.id.in_(ids))
        .order_by(DELIVERY.c.id),
    )
    return Claim(
        [
            Claimed(
                delivery_id=row.id,
                channel=channel,
                urn=row.urn,
                text=row.text,
                silent=bool(row.silent),
                attempts=row.attempts,
            )
            for row in texts
        ],
        0.0,
    )


async def _finish_unsendable(
    session: AsyncSession, dead: list[int], stopped: list[int], now: dt.datetime
) -> None:
    """Deliveries whose address died or whose producer opted out since the fan-out."""
    for ids, status, reason in (
        (dead, DeliveryStatus.FAILED, "address no longer active"),
        (stopped, DeliveryStatus.CANCELLED, "producer stopped alerts"),
    ):
        if ids:
            await run_core(
                session,
                sa.update(DELIVERY)
                .where(DELIVERY.c.id.in_(ids))
                .values(status=status.value, reason=reason, next_attempt_at=None, updated_at=now),
            )
