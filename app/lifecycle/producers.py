"""A producer's addresses changing and a producer being erased, where alerts and commands hold
their data: deliveries keep their history (what was sent, when, at what cost: budgets and
broadcasts count on it) but let go of the address or person; an erased producer's messages and
conversation state go with them. app.producers does the rest."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts.models import PENDING_STATUSES, Delivery, DeliveryStatus
from app.commands.models import ChatState, InboundMessage
from app.core import clock
from app.producers import service as producers
from app.producers.addresses import addresses_replaced
from app.producers.models import Address, Producer, ProducerUpdate


async def update_producer(
    session: AsyncSession, *, producer_id: int, staff: Staff, data: ProducerUpdate
) -> Producer:
    """app.producers' update, after freeing the deliveries of every address it replaces."""
    staff.require_writer()
    producer = await producers.get_producer(session, producer_id=producer_id, staff=staff)
    replaced = await addresses_replaced(session, producer=producer, data=data)
    if replaced:
        await _detach_deliveries(
            session,
            col(Delivery.address_id).in_(replaced),
            reason="the address was removed",
            keep_urn=True,
        )
    return await producers.update_producer(session, producer_id=producer_id, staff=staff, data=data)


async def erase_producer(session: AsyncSession, *, producer_id: int, staff: Staff) -> None:
    """Erase a producer and everything that identifies them, in every domain."""
    staff.require_writer()
    await producers.get_producer(session, producer_id=producer_id, staff=staff)
    urns = await producers.urns_of(session, producer_id)
    await _detach_deliveries(
        session, col(Delivery.producer_id) == producer_id, reason="producer erased", keep_urn=False
    )
    # What they wrote is theirs too; chat_state is keyed by their addresses.
    await session.exec(delete(InboundMessage).where(col(InboundMessage.producer_id) == producer_id))
    await session.exec(delete(ChatState).where(col(ChatState.urn).in_(urns)))
    await producers.delete_producer(session, producer_id=producer_id, staff=staff)


async def _detach_deliveries(
    session: AsyncSession, which: ColumnElement[bool], *, reason: str, keep_urn: bool
) -> None:
    """Free deliveries from an address or producer about to be deleted, keeping the history.
    Those still waiting are cancelled: there is no one left to send them to. With `keep_urn`
    each delivery keeps the URN it went to (a changed phone); without it nothing identifies the
    person (an erasure)."""
    now = clock.utcnow()
    await session.exec(
        update(Delivery)
        .where(which, col(Delivery.status).in_(PENDING_STATUSES))
        .values(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, reason=reason, updated_at=now
        )
    )
    urn = (
        select(Address.urn).where(col(Address.id) == Delivery.address_id).scalar_subquery()
        if keep_urn
        else None
    )
    detached = {"address_id": None, "to_urn": urn}
    if not keep_urn:
        detached["producer_id"] = None
    await session.exec(update(Delivery).where(which).values(**detached))
