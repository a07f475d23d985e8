"""The dispatcher's side of the outbox: claim due deliveries, record what sending them did.

Claiming happens in one short transaction: PostgreSQL locks the rows with FOR UPDATE SKIP
LOCKED so that several dispatchers never take the same delivery; SQLite's BEGIN IMMEDIATE makes
the whole claim exclusive. The same transaction takes tokens from the channel's bucket (a row in
channel_pace, so the rate holds across every dispatcher), charges SMS to the country's daily
budget, and marks the recipient's address busy so one chat never gets two messages at once.
Sending happens outside any transaction; results are written back in batches.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.content import Variant, render
from app.alerts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastText,
    ChannelName,
    ChannelPace,
    Delivery,
    DeliveryStatus,
    SmsSpend,
)
from app.catalogue.models import Country
from app.channels.base import ChannelError, ErrorKind, SendResult
from app.core import clock
from app.core.config import Settings
from app.core.db import core_table, insert_missing, run_core
from app.producers.models import Address, Producer, ProducerStatus
from app.text.formatting import Script
from app.text.sms import splitting_for

D = core_table(Delivery)
A = core_table(Address)
P = core_table(Producer)
T = core_table(BroadcastText)
PACE = core_table(ChannelPace)
SPEND = core_table(SmsSpend)


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


@dataclass(frozen=True)
class Outcome:
    """What sending one claimed delivery did: a result, or the channel's error."""

    claimed: Claimed
    at: dt.datetime
    result: SendResult | None = None
    error: ChannelError | None = None


def bucket_capacity(rate: float) -> float:
    """A small burst (a tenth of a second's worth) so a gateway's own limiter never trips."""
    return max(1.0, rate / 10)


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _lock(session: AsyncSession, query: Any) -> Any:
    if is_postgres(session):
        query = query.with_for_update()
    return (await run_core(session, query)).first()


async def _take_tokens(
    session: AsyncSession, channel: str, want: int, rate: float, now: dt.datetime
) -> tuple[int, float]:
    """Up to `want` tokens from the channel's bucket, and the wait if none are left."""
    await insert_missing(
        session,
        PACE,
        {"channel": str(channel), "tokens": bucket_capacity(rate), "refreshed_at": now},
        ["channel"],
    )
    row = await _lock(session, sa.select(PACE).where(PACE.c.channel == channel))
    tokens, refreshed, paused = row.tokens, row.refreshed_at, row.paused_until
    if paused is not None and paused > now:
        return 0, (paused - now).total_seconds()
    if rate <= 0:
        return want, 0.0
    elapsed = max(0.0, (now - refreshed).total_seconds())
    tokens = min(bucket_capacity(rate), tokens + elapsed * rate)
    granted = min(want, math.floor(tokens))
    await run_core(
        session,
        sa.update(PACE)
        .where(PACE.c.channel == channel)
        .values(tokens=tokens, refreshed_at=now, paused_until=None),
    )
    return granted, 0.0 if granted else (1 - tokens) / rate


async def _spend_tokens(session: AsyncSession, channel: str, used: int) -> None:
    if used:
        await run_core(
            session,
            sa.update(PACE).where(PACE.c.channel == channel).values(tokens=PACE.c.tokens - used),
        )


async def pause_channel(session: AsyncSession, channel: str, until: dt.datetime) -> None:
    await run_core(
        session,
        sa.update(PACE)
        .where(
            PACE.c.channel == channel,
            sa.or_(PACE.c.paused_until.is_(None), PACE.c.paused_until < until),
        )
        .values(paused_until=until),
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
    granted, wait = await _take_tokens(session, channel, limit, rate, now)
    if not granted:
        return Claim([], wait)
    due = (
        D.c.status.in_(
            [
                DeliveryStatus.QUEUED.value,
                DeliveryStatus.ERRORED.value,
                DeliveryStatus.SENDING.value,
            ]
        ),
        D.c.channel == channel.value,
        D.c.next_attempt_at <= now,
    )
    columns = (
        D.c.id,
        D.c.address_id,
        D.c.attempts,
        D.c.budget_override,
        D.c.cost,
        D.c.country_code,
    )
    query = (
        sa.select(*columns, A.c.active, P.c.status, A.c.urn)
        .join(A, A.c.id == D.c.address_id)
        .join(P, P.c.id == D.c.producer_id)
        .where(*due, sa.or_(A.c.next_send_at.is_(None), A.c.next_send_at <= now))
        .order_by(D.c.next_attempt_at, D.c.id)
        .limit(granted * 2)
    )
    if is_postgres(session):
        query = query.with_for_update(of=[D, A], skip_locked=True)
    rows = list((await run_core(session, query)).all())
    if len(rows) < granted:
        # Replies to numbers that belong to no producer have no address row to lock or pace.
        strangers = (
            sa.select(
                *columns,
                sa.true().label("active"),
                sa.literal(ProducerStatus.ACTIVE.value).label("status"),
                D.c.to_urn.label("urn"),
            )
            .where(*due, D.c.address_id.is_(None))
            .order_by(D.c.next_attempt_at, D.c.id)
            .limit(granted)
        )
        if is_postgres(session):
            strangers = strangers.with_for_update(of=[D], skip_locked=True)
        rows += (await run_core(session, strangers)).all()
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
        chosen = await _charge_budget(session, chosen, settings, now)
    if not chosen:
        return Claim([], settings.dispatch_poll_s)
    lease = now + dt.timedelta(seconds=settings.dispatch_lease_s)
    ids = [row.id for row in chosen]
    await run_core(
        session,
        sa.update(D)
        .where(D.c.id.in_(ids))
        .values(
            status=DeliveryStatus.SENDING.value,
            attempts=D.c.attempts + 1,
            next_attempt_at=lease,
            claimed_by=worker,
            updated_at=now,
        ),
    )
    await run_core(
        session,
        sa.update(A)
        .where(A.c.id.in_([row.address_id for row in chosen if row.address_id is not None]))
        .values(next_send_at=lease),
    )
    await _spend_tokens(session, channel, len(chosen))
    texts = await run_core(
        session,
        sa.select(
            D.c.id,
            sa.func.coalesce(A.c.urn, D.c.to_urn).label("urn"),
            T.c.text,
            D.c.silent,
            D.c.attempts,
        )
        .select_from(D)
        .outerjoin(A, A.c.id == D.c.address_id)
        .join(T, T.c.id == D.c.text_id)
        .where(D.c.id.in_(ids))
        .order_by(D.c.id),
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
                sa.update(D)
                .where(D.c.id.in_(ids))
                .values(status=status.value, reason=reason, next_attempt_at=None, updated_at=now),
            )


async def _charge_budget(
    session: AsyncSession, rows: list[Any], settings: Settings, now: dt.datetime
) -> list[Any]:
    """Charge first attempts to their country's SMS budget for the local day; hold the rest."""
    zones = dict(
        (
            await run_core(
                session, sa.select(core_table(Country).c.code, core_table(Country).c.timezone)
            )
        ).all()
    )
    by_country: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_country[row.country_code].append(row)
    kept: list[Any] = []
    for country, items in by_country.items():
        charged = [r for r in items if r.attempts == 0 and not r.budget_override]
        kept += [r for r in items if r not in charged]
        if not charged:
            continue
        day = clock.local_date(now, zones.get(country, "UTC"))
        budget = settings.sms_daily_budget.get(country)
        key = sa.and_(SPEND.c.country_code == country, SPEND.c.day == day)
        await insert_missing(
            session,
            SPEND,
            {"country_code": country, "day": day, "spent": 0, "held": 0},
            ["country_code", "day"],
        )
        row = await _lock(session, sa.select(SPEND.c.spent).where(key))
        spent = Decimal(row.spent)
        held = []
        for item in charged:
            cost = Decimal(item.cost)
            if budget is not None and spent + cost > budget:
                held.append(item.id)
            else:
                spent += cost
                kept.append(item)
        await run_core(
            session, sa.update(SPEND).where(key).values(spent=spent, held=SPEND.c.held + len(held))
        )
        if held:
            await run_core(
                session,
                sa.update(D)
                .where(D.c.id.in_(held))
                .values(
                    status=DeliveryStatus.HELD.value,
                    next_attempt_at=None,
                    reason=f"daily SMS budget for {country} reached "
                    f"({budget} {settings.sms_cost_currency})",
                    updated_at=now,
                ),
            )
    return kept


# --- results ------------------------------------------------------------------------------------


def backoff(attempts: int, settings: Settings) -> float:
    """Exponential backoff with full jitter around it, capped at an hour."""
    base = min(3600.0, settings.dispatch_backoff_s * float(2 ** max(0, attempts - 1)))
    jitter: float = random.uniform(0.5, 1.5)  # noqa: S311 - spreading retries, not a secret
    return base * jitter


async def record(
    session: AsyncSession, outcomes: list[Outcome], *, worker: str, settings: Settings
) -> list[int]:
    """Write back a batch of send outcomes; returns the Telegram deliveries that need an SMS
    fallback (failed permanently), which the caller passes to `fall_back_to_sms`."""
    interval = dt.timedelta(seconds=settings.recipient_interval_s)
    updates: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    dead_addresses: list[int] = []
    fallbacks: list[int] = []
    for o in outcomes:
        c = o.claimed
        values: dict[str, Any] = {"_id": c.delivery_id, "_worker": worker, "updated_at": o.at}
        next_send = o.at + interval
        error = o.error
        if error is None:
            values |= {
                "status": DeliveryStatus.SENT.value,
                "sent_at": o.at,
                "gateway_id": o.result.gateway_id if o.result else None,
                "next_attempt_at": None,
                "reason": None,
                "attempts": c.attempts,
            }
        elif error.kind is ErrorKind.RATE_LIMITED:
            pause = o.at + dt.timedelta(seconds=error.retry_after or 1.0)
            await pause_channel(session, c.channel, pause)
            # A 429 is the channel's state, not this message's fault: the attempt is given back.
            values |= {
                "status": DeliveryStatus.QUEUED.value,
                "next_attempt_at": pause,
                "reason": error.reason,
                "attempts": c.attempts - 1,
            }
            next_send = max(next_send, pause)
        elif error.kind is ErrorKind.TRANSIENT and c.attempts < settings.dispatch_max_attempts:
            values |= {
                "status": DeliveryStatus.ERRORED.value,
                "next_attempt_at": o.at + dt.timedelta(seconds=backoff(c.attempts, settings)),
                "reason": f"attempt {c.attempts}: {error.reason}"[:500],
                "attempts": c.attempts,
            }
        else:
            if error.kind is ErrorKind.TRANSIENT:
                reason = f"gave up after {c.attempts} attempts: {error.reason}"
            else:
                reason = error.reason
            values |= {
                "status": DeliveryStatus.FAILED.value,
                "next_attempt_at": None,
                "reason": reason[:500],
                "attempts": c.attempts,
            }
            if error.kind is ErrorKind.PERMANENT and c.channel is ChannelName.TELEGRAM:
                fallbacks.append(c.delivery_id)
        updates.append(values)
        addresses.append({"_delivery": c.delivery_id, "next_send_at": next_send})
        if error is not None and error.address_invalid:
            dead_addresses.append(c.delivery_id)
    if not updates:
        return []
    for group in _by_keys(updates):
        columns = [k for k in group[0] if not k.startswith("_")]
        await run_core(
            session,
            sa.update(D)
            .where(
                D.c.id == sa.bindparam("_id"),
                D.c.claimed_by == sa.bindparam("_worker"),
                D.c.status == DeliveryStatus.SENDING.value,
            )
            .values({k: sa.bindparam(k) for k in columns}),
            group,
        )
    address_of = (
        sa.select(D.c.address_id).where(D.c.id == sa.bindparam("_delivery")).scalar_subquery()
    )
    await run_core(
        session,
        sa.update(A).where(A.c.id == address_of).values(next_send_at=sa.bindparam("next_send_at")),
        addresses,
    )
    if dead_addresses:
        await run_core(
            session,
            sa.update(A)
            .where(A.c.id.in_(sa.select(D.c.address_id).where(D.c.id.in_(dead_addresses))))
            .values(active=False),
        )
    return fallbacks


def _by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """executemany needs the same parameters in every row: group rows by their key sets."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())


async def fall_back_to_sms(
    session: AsyncSession,
    telegram_delivery_id: int,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Delivery | None:
    """Once, an SMS in place of a Telegram message that can never be delivered."""
    now = now or clock.utcnow()
    failed = await session.get(Delivery, telegram_delivery_id)
    if failed is None:
        return None
    producer = await session.get(Producer, failed.producer_id)
    broadcast = await session.get(Broadcast, failed.broadcast_id)
    if producer is None or broadcast is None or producer.status is not ProducerStatus.ACTIVE:
        return None
    phone = (
        await run_core(
            session,
            sa.select(A.c.id)
            .where(A.c.producer_id == producer.id, A.c.active, A.c.urn.like("tel:%"))
            .order_by(A.c.id)
            .limit(1),
        )
    ).scalar()
    existing = (
        await run_core(
            session,
            sa.select(D.c.id).where(
                D.c.broadcast_id == broadcast.id,
                D.c.producer_id == producer.id,
                D.c.channel == ChannelName.SMS.value,
            ),
        )
    ).scalar()
    if phone is None or existing is not None:
        return None
    variant = Variant(
        producer.locale,
        Script(producer.script),
        str(producer.digits),
        producer.plain_sms,
        ChannelName.SMS,
    )
    text = await text_for(session, broadcast, variant, settings=settings)
    country = await session.get(Country, producer.country_code)
    tz = country.timezone if country else "UTC"
    quiet = None if broadcast.urgent else clock.quiet_until(now, tz, producer.quiet_hours)
    price = settings.sms_segment_price.get(producer.country_code, Decimal(0))
    delivery = Delivery(
        broadcast_id=broadcast.id or 0,
        producer_id=producer.id or 0,
        address_id=phone,
        country_code=producer.country_code,
        channel=ChannelName.SMS,
        text_id=text.id or 0,
        capped=failed.capped,
        segments=text.segments,
        cost=text.segments * price,
        next_attempt_at=quiet or now,
        fallback_of=failed.id,
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def text_for(
    session: AsyncSession,
    broadcast: Broadcast,
    variant: Variant,
    *,
    settings: Settings,
    fresh: bool = False,
) -> BroadcastText:
    """The broadcast's text for `variant`, rendered now if no recipient needed it before;
    `fresh`: the caller has just created the broadcast, so there is nothing to look up."""
    if not fresh:
        found = (
            await session.exec(
                select(BroadcastText).where(
                    BroadcastText.broadcast_id == broadcast.id,
                    BroadcastText.locale == variant.locale,
                    BroadcastText.script == variant.script,
                    BroadcastText.digits == variant.digits,
                    BroadcastText.plain_sms == variant.plain_sms,
                    BroadcastText.channel == variant.channel,
                )
            )
        ).first()
        if found is not None:
            return found
    rendered = render(
        BroadcastKind(broadcast.kind),
        broadcast.payload,
        variant,
        splitting=splitting_for(settings.sms_gateway),
    )
    text = BroadcastText(
        broadcast_id=broadcast.id or 0,
        locale=variant.locale,
        script=variant.script,
        digits=variant.digits,
        plain_sms=variant.plain_sms,
        channel=variant.channel,
        text=rendered.text,
        segments=rendered.segments,
        encoding=rendered.encoding,
    )
    session.add(text)
    await session.flush()
    return text


# --- receipts -----------------------------------------------------------------------------------


async def record_receipt(
    session: AsyncSession,
    *,
    delivered: bool,
    delivery_id: int | None = None,
    gateway_id: str | None = None,
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> Delivery | None:
    """A gateway's delivery report: `sent` becomes `delivered` or `failed`; a failure that
    arrives after a delivered report (some SMSCs send both) still wins. Unknown ids: None."""
    at = at or clock.utcnow()
    query = select(Delivery)
    if delivery_id is not None:
        query = query.where(Delivery.id == delivery_id)
    elif gateway_id is not None:
        query = query.where(Delivery.gateway_id == gateway_id)
    else:
        return None
    delivery = (await session.exec(query)).first()
    if delivery is None:
        return None
    # A report can overtake the dispatcher's own record of the send (Kannel reports within
    # milliseconds; results are written in batches): `sending` counts as sent here, and the
    # dispatcher's later write, which only touches deliveries still `sending`, changes nothing.
    if delivered and delivery.status in (DeliveryStatus.SENT, DeliveryStatus.SENDING):
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = at
        delivery.sent_at = delivery.sent_at or at
        delivery.next_attempt_at = None
    elif not delivered and delivery.status in (
        DeliveryStatus.SENDING,
        DeliveryStatus.SENT,
        DeliveryStatus.DELIVERED,
    ):
        delivery.next_attempt_at = None
        delivery.status = DeliveryStatus.FAILED
        delivery.reason = (reason or "the gateway reported the message undelivered")[:500]
    else:
        return delivery
    delivery.updated_at = at
    session.add(delivery)
    await session.flush()
    return delivery
