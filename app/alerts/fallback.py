"""The SMS that replaces a Telegram message which can never be delivered (the bot was blocked,
the chat is gone): sent once, by the rules of any other delivery to that producer's phone."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import delivery
from app.alerts.models import Broadcast, ChannelName, Delivery
from app.alerts.tables import DELIVERY
from app.core import clock
from app.core.config import Settings
from app.core.db import run_core
from app.producers.models import Producer, ProducerStatus


async def fall_back_to_sms(
    session: AsyncSession,
    telegram_delivery_id: int,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Delivery | None:
    """Once, an SMS in place of a Telegram message that can never be delivered; None when the
    producer stopped, has no phone, or already has an SMS of this broadcast."""
    now = now or clock.utcnow()
    failed = await session.get(Delivery, telegram_delivery_id)
    if failed is None or failed.producer_id is None:
        return None
    producer = await session.get(Producer, failed.producer_id)
    broadcast = await session.get(Broadcast, failed.broadcast_id)
    if producer is None or broadcast is None or producer.status is not ProducerStatus.ACTIVE:
        return None
    existing = (
        await run_core(
            session,
            sa.select(DELIVERY.c.id).where(
                DELIVERY.c.broadcast_id == broadcast.id,
                DELIVERY.c.producer_id == producer.id,
                DELIVERY.c.channel == ChannelName.SMS.value,
            ),
        )
    ).scalar()
    phone = await delivery.preferred_address(session, producer.id or 0, (ChannelName.SMS,))
    if existing is not None or phone is None:
        return None
    return await delivery.deliver(
        session,
        broadcast=broadcast,
        producer=producer,
        reach=phone,
        settings=settings,
        now=now,
        capped=failed.capped,
        fallback_of=failed.id,
    )
