"""A producer's addresses changing and a producer being erased, where alerts, commands and leads
hold their data: deliveries keep their history (what was sent, when, at what cost: budgets and
broadcasts count on it) but let go of the address or person; an erased producer's messages and
conversation state go with them, and the leads they offered, with the texts that carried them,
lose their name and number. app.producers does the rest."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, delete, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff
from app.alerts.delivery import URN_SCHEMES
from app.alerts.models import PENDING_STATUSES, Broadcast, Delivery, DeliveryStatus
from app.alerts.texts import rewrite_texts
from app.commands.models import ChatState, InboundMessage
from app.core import clock
from app.core.erasure import Traces
from app.leads.erasure import erase_offerer
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
        )
    return await producers.update_producer(session, producer_id=producer_id, staff=staff, data=data)


async def erase_producer(session: AsyncSession, *, producer_id: int, staff: Staff) -> None:
    """Erase a producer and everything that identifies them, in every domain: every number
    they were reached at or wrote from, every name they went by."""
    staff.require_writer()
    producer = await producers.get_producer(session, producer_id=producer_id, staff=staff)
    urns = await _urns_ever(session, producer_id)
    names = await audit.recorded_values(
        session, entity="producer", entity_id=producer_id, field="name"
    )
    traces = Traces.of(names={producer.name, *names}, urns=urns)
    await _detach_deliveries(
        session,
        _theirs(Delivery.producer_id, Delivery.to_urn, producer_id=producer_id, urns=urns),
        reason="producer erased",
        erase=traces,
    )
    # What they wrote is theirs too, before they registered as well; chat_state is keyed by
    # their addresses.
    await session.exec(
        delete(InboundMessage).where(
            _theirs(
                InboundMessage.producer_id, InboundMessage.urn, producer_id=producer_id, urns=urns
            )
        )
    )
    await session.exec(delete(ChatState).where(col(ChatState.urn).in_(urns)))
    offers = await erase_offerer(
        session, offered_by=Actor.producer(producer_id), traces=traces, staff=staff
    )
    for broadcast in (
        await session.exec(select(Broadcast).where(col(Broadcast.lead_id).in_(offers)))
    ).all():
        broadcast.payload = traces.scrub(broadcast.payload, inside=True)
        session.add(broadcast)
        await rewrite_texts(session, broadcast)
    await producers.delete_producer(session, producer_id=producer_id, staff=staff, traces=traces)


def _theirs(
    producer: int | None, urn: str | None, *, producer_id: int, urns: set[str]
) -> ColumnElement[bool]:
    """Rows of the producer's, and rows of no producer at one of their addresses (a message
    from their phone before they registered, the reply to it); not rows of another producer
    who had one of those addresses before them."""
    return or_(col(producer) == producer_id, and_(col(producer).is_(None), col(urn).in_(urns)))


async def _urns_ever(session: AsyncSession, producer_id: int) -> set[str]:
    """Every address the producer has had: those they have now, those a delivery to them went
    to or a message of theirs came from (a phone since changed), and those the audit names as
    having acted for them (the phone an SMS sign-up came from)."""
    urns = set(await producers.urns_of(session, producer_id))
    for found in (
        select(Delivery.to_urn).where(Delivery.producer_id == producer_id),
        select(InboundMessage.urn).where(InboundMessage.producer_id == producer_id),
    ):
        urns.update(u for u in (await session.exec(found)).all() if u)
    actors = await audit.recorded_actors(session, entity="producer", entity_id=producer_id)
    urns.update(a for a in actors if a.startswith(tuple(URN_SCHEMES.values())))
    return urns


async def _detach_deliveries(
    session: AsyncSession, which: ColumnElement[bool], *, reason: str, erase: Traces | None = None
) -> None:
    """Free deliveries from an address or producer about to be deleted, keeping the history.
    Those still waiting are cancelled: there is no one left to send them to. Without `erase`
    each delivery keeps the URN it went to (a changed phone); with it nothing identifies the
    person: not the producer, the URN, the gateway's id (Telegram's holds the chat id), nor
    their numbers in a failure reason."""
    now = clock.utcnow()
    await session.exec(
        update(Delivery)
        .where(which, col(Delivery.status).in_(PENDING_STATUSES))
        .values(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, reason=reason, updated_at=now
        )
    )
    if erase is None:
        urn = select(Address.urn).where(col(Address.id) == Delivery.address_id).scalar_subquery()
        await session.exec(update(Delivery).where(which).values(address_id=None, to_urn=urn))
        return
    await session.exec(
        update(Delivery)
        .where(which)
        .values(
            address_id=None,
            producer_id=None,
            to_urn=None,
            gateway_id=None,
            reason=erase.scrub_numbers_sql(col(Delivery.reason)),
        )
    )
