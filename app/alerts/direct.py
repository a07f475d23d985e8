"""A message to one address, queued in the outbox without a fan-out: the answer to an SMS, or a
report to a CDE. It goes to the address given (`to_urn`), not to a producer's address row, and
is paced, charged and reported on like every other delivery."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import delivery
from app.alerts.content import Variant
from app.alerts.models import Broadcast, BroadcastKind, Delivery
from app.alerts.texts import text_for
from app.core.config import Settings
from app.producers.models import Producer


async def queue_direct(
    session: AsyncSession,
    *,
    kind: BroadcastKind,
    key: str,
    text: str,
    urn: str,
    country: str,
    producer: Producer | None,
    variant: Variant,
    settings: Settings,
    now: dt.datetime,
) -> Delivery:
    """`text` (already in the reader's words) to `urn`, due now: these kinds are answers
    (delivery.ANSWERS), sent whatever the hour."""
    assert kind in delivery.ANSWERS, f"{kind} is no direct message"
    broadcast = Broadcast(
        kind=kind, key=key, countries=[country], payload={"text": text}, created_by=kind.value
    )
    session.add(broadcast)
    await session.flush()
    rendered = await text_for(session, broadcast, variant, settings=settings, fresh=True)
    queued = delivery.build(
        broadcast=broadcast,
        text=rendered,
        country=country,
        now=now,
        settings=settings,
        producer_id=producer.id if producer else None,
        # No address row: the message goes to the address given, even the STOP confirmation of
        # a producer who has just stopped, so the dispatcher's checks of addresses and stopped
        # producers, meant for alerts, do not apply.
        to_urn=urn,
    )
    session.add(queued)
    await session.flush()
    return queued
