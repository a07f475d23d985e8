"""Producers acting for themselves by message: JOIN from an unknown phone registers them, JOIN
from a producer who had stopped is their new consent, STOP opts them out; and who of them may
report prices."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.core import clock
from app.producers.addresses import COUNTRY_LOCALES, country_of_phone
from app.producers.models import (
    Address,
    ConsentChannel,
    Producer,
    ProducerKind,
    ProducerRole,
    ProducerStatus,
)
from app.producers.service import record_stop

# The roles whose holders may send prices (REPORT by SMS, /report on Telegram).
REPORTERS = frozenset({ProducerRole.REPORTER, ProducerRole.TRUSTED_REPORTER})


def may_report(producer: Producer) -> bool:
    return bool(REPORTERS & set(producer.roles))


def consent_channel(channel: str) -> ConsentChannel:
    """The channel a message came by, as consent and opt-out record it: SMS or Telegram, and
    anything else (a message typed in by staff, `mic ask`) counts as given to them in person."""
    return ConsentChannel(channel) if channel in ("sms", "telegram") else ConsentChannel.VERBAL


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
        consent_channel=consent_channel(channel),
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
    assert producer.id is not None
    before = audit.snapshot(producer)
    producer.status = ProducerStatus.ACTIVE
    producer.stopped_at = None
    producer.consent_at = producer.updated_at = clock.utcnow()
    producer.consent_channel = consent_channel(channel)
    await audit.save(
        session,
        producer,
        actor=Actor.producer(producer.id),
        action="producer.consent.message",
        entity="producer",
        country=producer.country_code,
        before=before,
    )


async def opt_out(session: AsyncSession, *, producer: Producer, channel: str) -> None:
    """The producer themselves sent STOP: nothing more is sent to them until they send JOIN.
    Their subscriptions are kept for that JOIN."""
    assert producer.id is not None
    await record_stop(
        session, producer, actor=Actor.producer(producer.id), channel=consent_channel(channel)
    )
