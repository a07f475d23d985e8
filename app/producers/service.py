"""The producer record as staff keep it: created, read in scope, updated, erased, stopped and
consented again, each audited."""

from __future__ import annotations

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff, get_in_scope
from app.catalogue.models import Country
from app.core import clock, i18n
from app.core.erasure import Traces
from app.core.errors import InvalidInput
from app.producers.addresses import asked_urns, claim_urn, set_address, tel_urn, telegram_urn
from app.producers.models import (
    Address,
    ConsentChannel,
    ConsentIn,
    Digits,
    Producer,
    ProducerCreate,
    ProducerStatus,
    ProducerUpdate,
    StopIn,
    Subscription,
)
from app.text.formatting import Script, check_script
from app.text.normalize import normalize_text
from app.text.phones import phone_e164


async def _country(session: AsyncSession, code: str) -> Country:
    country = await session.get(Country, code)
    if country is None:
        raise InvalidInput(f"unknown country {code!r}")
    return country


async def create_producer(
    session: AsyncSession, *, data: ProducerCreate, staff: Staff, via: str = "api"
) -> Producer:
    staff.require_writer()
    country = await _country(session, data.country)
    staff.check_country(country.code, f"country {country.code}")
    return await _create(session, data, country, staff=staff, actor=staff.actor, via=via)


async def register_producer(
    session: AsyncSession, *, data: ProducerCreate, actor: Actor, via: str
) -> Producer:
    """A producer registering themselves (Telegram's sign-up): `actor` is the address they
    wrote from. Their consent comes with `data`."""
    country = await _country(session, data.country)
    return await _create(session, data, country, staff=None, actor=actor, via=via)


async def _create(
    session: AsyncSession,
    data: ProducerCreate,
    country: Country,
    *,
    staff: Staff | None,
    actor: Actor,
    via: str,
) -> Producer:
    """`staff` when a token stands behind the call: it decides what a refusal may name."""
    locale = i18n.check_locale(data.locale or country.default_locale)
    phone = phone_e164(data.phone, country.code) if data.phone else None
    urns = [
        u
        for u in (
            phone and tel_urn(phone),
            data.telegram_chat_id and telegram_urn(data.telegram_chat_id),
        )
        if u
    ]
    if not urns:
        raise InvalidInput("a producer needs a phone or a telegram_chat_id to be reached")
    for urn in urns:
        await claim_urn(session, urn, None, staff)
    producer = Producer(
        name=normalize_text(data.name, max_chars=120),
        country_code=country.code,
        locale=locale,
        script=check_script(locale, data.script or Script.UNICODE),
        digits=data.digits or Digits.LATIN,
        plain_sms=bool(data.plain_sms),
        kind=data.kind,
        roles=sorted({r.value for r in data.roles or []}),
        quiet_hours=data.quiet_hours or "21:00-06:00",
        daily_cap=5 if data.daily_cap is None else data.daily_cap,
        consent_at=(data.consent.at or clock.utcnow()) if data.consent else None,
        consent_channel=data.consent.channel if data.consent else None,
    )
    session.add(producer)
    await session.flush()
    assert producer.id is not None
    for urn in urns:
        session.add(Address(producer_id=producer.id, urn=urn))
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"producer.create.{via}",
        entity="producer",
        entity_id=producer.id,
        country=producer.country_code,
        after=audit.snapshot(producer),
    )
    return producer


async def get_producer(session: AsyncSession, *, producer_id: int, staff: Staff) -> Producer:
    return await get_in_scope(session, Producer, producer_id, staff=staff, noun="producer")


async def update_producer(
    session: AsyncSession, *, producer_id: int, staff: Staff, data: ProducerUpdate
) -> Producer:
    """The producer's own fields and addresses. An address it replaces is deleted: call it
    through app.lifecycle.producers.update_producer, which frees that address's deliveries."""
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change: send at least one field")
    before = audit.snapshot(producer)
    for scheme, urn in asked_urns(producer, data).items():
        await set_address(session, producer, scheme, urn, staff)
    for name in ("kind", "script", "digits", "plain_sms", "quiet_hours", "daily_cap"):
        if changes.get(name) is not None:
            setattr(producer, name, getattr(data, name))
    if data.name is not None:
        producer.name = normalize_text(data.name, max_chars=120)
    if data.locale is not None:
        producer.locale = i18n.check_locale(data.locale)
    check_script(producer.locale, Script(producer.script))
    if data.roles is not None:
        producer.roles = sorted({r.value for r in data.roles})
    producer.updated_at = clock.utcnow()
    await audit.save(
        session,
        producer,
        actor=staff,
        action="producer.update",
        entity="producer",
        country=producer.country_code,
        before=before,
    )
    return producer


async def urns_of(session: AsyncSession, producer_id: int) -> list[str]:
    return list(
        (await session.exec(select(Address.urn).where(Address.producer_id == producer_id))).all()
    )


async def delete_producer(
    session: AsyncSession, *, producer_id: int, staff: Staff, traces: Traces
) -> None:
    """Erase a producer and everything of theirs this domain holds (the audit keeps the
    erasure). Call it through app.lifecycle.producers.erase_producer, which first frees or
    deletes what other domains hold of theirs and gathers every name and number they had."""
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    # Earlier entries keep what happened, not who it happened to: their names, numbers and
    # chats go (an SMS sign-up recorded the phone as the actor and as the name).
    await audit.erase(
        session,
        entity="producer",
        entity_id=producer_id,
        traces=traces,
        actor=Actor.producer(producer_id),
    )
    await session.exec(delete(Subscription).where(col(Subscription.producer_id) == producer_id))
    await session.exec(delete(Address).where(col(Address.producer_id) == producer_id))
    await session.delete(producer)
    await session.flush()
    audit.record(
        session,
        actor=staff,
        action="producer.delete",
        entity="producer",
        entity_id=producer_id,
        country=producer.country_code,
        before={"id": producer_id, "name": "(erased)"},
    )


async def stop_producer(
    session: AsyncSession, *, producer_id: int, staff: Staff, data: StopIn
) -> Producer:
    """Opt out, recorded by staff (a producer who asked in person or by phone)."""
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    await record_stop(session, producer, actor=staff.actor, channel=data.channel)
    return producer


async def record_stop(
    session: AsyncSession, producer: Producer, *, actor: Actor, channel: ConsentChannel
) -> None:
    """Opt out, by staff or by the producer's own STOP (app.producers.self_service): nothing is
    sent to a stopped producer until they consent again."""
    before = audit.snapshot(producer)
    producer.status = ProducerStatus.STOPPED
    producer.stopped_at = producer.updated_at = clock.utcnow()
    await audit.save(
        session,
        producer,
        actor=actor,
        action=f"producer.stop.{channel}",
        entity="producer",
        country=producer.country_code,
        before=before,
    )


async def record_consent(
    session: AsyncSession, *, producer_id: int, staff: Staff, data: ConsentIn
) -> Producer:
    """A new consent (when and how), which also re-activates a producer who had stopped."""
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    before = audit.snapshot(producer)
    producer.consent_at = data.at or clock.utcnow()
    producer.consent_channel = data.channel
    producer.status = ProducerStatus.ACTIVE
    producer.stopped_at = None
    producer.updated_at = clock.utcnow()
    await audit.save(
        session,
        producer,
        actor=staff,
        action="producer.consent",
        entity="producer",
        country=producer.country_code,
        before=before,
    )
    return producer
