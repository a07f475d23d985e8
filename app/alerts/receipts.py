"""Delivery reports from SMS gateways: `sent` becomes `delivered` or `failed`."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.models import Delivery, DeliveryStatus
from app.core import clock


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
