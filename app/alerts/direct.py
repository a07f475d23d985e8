"""A message to one address, queued in the outbox without a fan-out: the answer to an SMS, or a
report to a CDE. It goes to the address given (`to_urn`), not to a producer's address row, and
is paced, charged and reported on like every other delivery."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import delivery
from app.alerts.content import Variant
from app.alerts.models import Broadcast, BroadcastKind, Delivery
from app.alerts.texts import text_row
from app.core.config import Settings
from app.core.db import insert_new
from app.producers.models import Producer
from app.text.sms import splitting_for


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
    # Three rows written on every SMS answered: each is inserted by one statement built once,
    # where a flush per row (the text and the delivery need the ids before them) cost more
    # than all the rest of queueing.
    broadcast = await insert_new(
        session,
        Broadcast(
            kind=kind, key=key, countries=[country], payload={"text": text}, created_by=kind.value
        ),
    )
    rendered = await insert_new(
        session, text_row(broadcast, variant, splitting_for(settings.sms_gateway))
    )
    queued: Delivery = await insert_new(
        session,
        delivery.build(
            broadcast=broadcast,
            text=rendered,
            country=country,
            now=now,
            settings=settings,
            producer_id=producer.id if producer else None,
            # No address row: the message goes to the address given, even the STOP
            # confirmation of a producer who has just stopped, so the dispatcher's checks of
            # addresses and stopped producers, meant for alerts, do not apply.
            to_urn=urn,
        ),
    )
    return queued
