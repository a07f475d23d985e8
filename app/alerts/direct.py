"""A message to one address, queued in the outbox without a fan-out: the answer to an SMS, or a
report to a CDE. It goes to the address given (`to_urn`), not to a producer's address row, and
is paced, charged and reported on like every other delivery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.content import Variant
from app.alerts.models import Broadcast, BroadcastKind, ChannelName, Delivery
from app.alerts.outbox import text_for
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
    broadcast = Broadcast(
        kind=kind, key=key, countries=[country], payload={"text": text}, created_by=kind.value
    )
    session.add(broadcast)
    await session.flush()
    rendered = await text_for(session, broadcast, variant, settings=settings, fresh=True)
    sms = variant.channel is ChannelName.SMS
    delivery = Delivery(
        broadcast_id=broadcast.id or 0,
        producer_id=producer.id if producer else None,
        # No address row: the message goes to the address given, even the STOP confirmation of
        # a producer who has just stopped, so the dispatcher's checks of addresses and stopped
        # producers, meant for alerts, do not apply.
        address_id=None,
        to_urn=urn,
        country_code=country,
        channel=variant.channel,
        text_id=rendered.id or 0,
        segments=rendered.segments,
        cost=rendered.segments * settings.sms_segment_price.get(country, Decimal(0))
        if sms
        else Decimal(0),
        next_attempt_at=now,
    )
    session.add(delivery)
    await session.flush()
    return delivery
