"""Producers acting for themselves by message: JOIN from an unknown phone registers them, and
JOIN from a producer who had stopped is their new consent."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.core import clock
from app.producers.addresses import COUNTRY_LOCALES, country_of_phone
from app.producers.models import Address, ConsentChannel, Producer, ProducerKind, ProducerStatus


async def register_from_message(
    session: AsyncSession, *, urn: str, channel: str, locale: str | None
) -> Producer | None:
    """JOIN from an unknown phone: a producer whose consent is that very message. Country and
    language come from the number's prefix (a language written in wins when given)."""
    if not urn.startswith("tel:"):
        return None
    country = country_of_phone(urn[4:])
    if country is None:
        return None
    producer = Producer(
        name=urn[4:],
        country_code=country,
        locale=locale or COUNTRY_LOCALES[country],
        kind=ProducerKind.FARMER,
        consent_at=clock.utcnow(),
        consent_channel=ConsentChannel(channel) if channel in ("sms", "telegram") else None,
    )
    session.add(producer)
    await session.flush()
    assert producer.id is not None
    session.add(Address(producer_id=producer.id, urn=urn))
    await audit.save(
        session,
        producer,
        actor=Actor.address(urn),
        action=f"producer.join.{channel}",
        entity="producer",
        country=country,
    )
    return producer


async def consent_from_message(session: AsyncSession, *, producer: Producer, channel: str) -> None:
    """The producer themselves sent JOIN: that is a new consent."""
    before = audit.snapshot(producer)
    producer.status = ProducerStatus.ACTIVE
    producer.stopped_at = None
    producer.consent_at = producer.updated_at = clock.utcnow()
    producer.consent_channel = ConsentChannel(channel) if channel in ("sms", "telegram") else None
    await audit.save(
        session,
        producer,
        actor=Actor.producer(producer.id or 0),
        action="producer.consent.message",
        entity="producer",
        country=producer.country_code,
        before=before,
    )
