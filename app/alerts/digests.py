"""Daily digests: price alerts merged past a producer's daily cap, and the prices of series a
producer follows as a digest, go out together at the producer's digest time."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import delivery
from app.alerts.models import Broadcast, BroadcastKind, Delivery, DeliveryStatus
from app.alerts.tables import DELIVERY
from app.catalogue.models import Country
from app.core import clock
from app.core.config import Settings
from app.core.db import run_core
from app.producers.models import Producer, ProducerStatus


async def build_due_digests(
    session: AsyncSession, settings: Settings, *, now: dt.datetime | None = None, limit: int = 200
) -> int:
    """Turn the merged deliveries that are due into one digest delivery per producer."""
    now = now or clock.utcnow()
    producer_ids = (
        await session.exec(
            select(Delivery.producer_id)
            .where(
                Delivery.status == DeliveryStatus.MERGED,
                col(Delivery.merged_into).is_(None),
                col(Delivery.next_attempt_at) <= now,
            )
            .distinct()
            .limit(limit)
        )
    ).all()
    for producer_id in producer_ids:
        if producer_id is not None:
            await _digest_for(session, producer_id, settings, now)
    return len(producer_ids)


async def _digest_for(
    session: AsyncSession, producer_id: int, settings: Settings, now: dt.datetime
) -> None:
    rows = (
        await session.exec(
            select(Delivery, Broadcast)
            .join(Broadcast, col(Broadcast.id) == Delivery.broadcast_id)
            .where(
                Delivery.producer_id == producer_id,
                Delivery.status == DeliveryStatus.MERGED,
                col(Delivery.merged_into).is_(None),
                col(Delivery.next_attempt_at) <= now,
            )
            .order_by(col(Delivery.id))
        )
    ).all()
    producer = await session.get(Producer, producer_id)
    if not rows or producer is None:
        return
    items = [d for d, _ in rows]
    if producer.status is not ProducerStatus.ACTIVE:
        await _close(session, items, DeliveryStatus.CANCELLED, "producer stopped alerts", now)
        return
    reach = await delivery.preferred_address(session, producer_id)
    if reach is None:
        await _close(session, items, DeliveryStatus.FAILED, "no active address", now)
        return
    country = await session.get(Country, producer.country_code)
    tz = country.timezone if country else "UTC"
    first = items[0].id
    broadcast = Broadcast(
        kind=BroadcastKind.DIGEST,
        key=f"digest:{producer_id}:{first}",
        countries=[producer.country_code],
        payload={
            "alerts": [b.payload for _, b in rows if b.kind is BroadcastKind.PRICE],
            "day": clock.local_date(now, tz).isoformat(),
        },
        created_by="digest",
    )
    session.add(broadcast)
    await session.flush()
    digest = await delivery.deliver(
        session, broadcast=broadcast, producer=producer, reach=reach, settings=settings, now=now
    )
    await run_core(
        session,
        sa.update(DELIVERY)
        .where(DELIVERY.c.id.in_([d.id for d in items]))
        .values(merged_into=digest.id, next_attempt_at=None, updated_at=now),
    )


async def _close(
    session: AsyncSession,
    items: list[Delivery],
    status: DeliveryStatus,
    reason: str,
    now: dt.datetime,
) -> None:
    for item in items:
        item.status = status
        item.reason = reason
        item.next_attempt_at = None
        item.updated_at = now
        session.add(item)
    await session.flush()
