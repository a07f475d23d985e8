"""Registering producers, reaching them, their subscriptions, and their consent."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import phonenumbers
from pydantic import ValidationError
from sqlalchemy import ColumnElement, bindparam
from sqlmodel import col, delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.models import Role
from app.accounts.service import Staff, get_in_scope
from app.catalogue.models import Country
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock, i18n
from app.core.csvfile import ImportReport, RowResult, first_error, read_csv
from app.core.errors import AppError, Conflict, InvalidInput
from app.core.masking import mask_chat_id, mask_phone
from app.core.pagination import MAX_LIMIT, Page
from app.producers.models import (
    Address,
    ConsentChannel,
    ConsentIn,
    Digits,
    Producer,
    ProducerCreate,
    ProducerKind,
    ProducerPublic,
    ProducerStatus,
    ProducerUpdate,
    StopIn,
    Subscription,
    SubscriptionPublic,
)
from app.text.digits import to_ascii_digits
from app.text.formatting import Script, check_script
from app.text.normalize import normalize_text
from app.text.phones import phone_e164


def tel_urn(e164: str) -> str:
    return f"tel:{e164}"


def telegram_urn(chat_id: int) -> str:
    return f"telegram:{chat_id}"


async def _claim_urn(
    session: AsyncSession, urn: str, producer_id: int | None, staff: Staff | None
) -> None:
    """An address belongs to one producer; a second claim is refused, naming the first only to
    staff who may see them (a number registered in another country, or claimed by someone
    registering themselves, says nothing more)."""
    row = (
        await session.exec(
            select(Address, Producer)
            .join(Producer, col(Producer.id) == col(Address.producer_id))
            .where(Address.urn == urn)
        )
    ).first()
    if row is not None and row[1].id != producer_id:
        owner = row[1]
        if staff is None or not staff.can_see(owner.country_code):
            raise Conflict(f"{urn} is already registered elsewhere")
        raise Conflict(f"{urn} already belongs to producer {owner.id} ({owner.name})")


async def _addresses(session: AsyncSession, producer: Producer, scheme: str) -> list[Address]:
    assert producer.id is not None
    query = select(Address).where(
        Address.producer_id == producer.id, col(Address.urn).startswith(f"{scheme}:")
    )
    return list((await session.exec(query)).all())


def _asked_urns(producer: Producer, data: ProducerUpdate) -> dict[str, str | None]:
    """The addresses an update sets, by scheme (None: that scheme's address goes)."""
    asked: dict[str, str | None] = {}
    if "phone" in data.model_fields_set:
        phone = phone_e164(data.phone, producer.country_code) if data.phone else None
        asked["tel"] = tel_urn(phone) if phone else None
    if "telegram_chat_id" in data.model_fields_set:
        chat = data.telegram_chat_id
        asked["telegram"] = telegram_urn(chat) if chat else None
    return asked


async def addresses_replaced(
    session: AsyncSession, *, producer: Producer, data: ProducerUpdate
) -> list[int]:
    """Ids of the addresses `update_producer` with `data` will delete: what other domains'
    records must let go of first (app.lifecycle.producers does, before it updates)."""
    replaced: list[int] = []
    for scheme, urn in _asked_urns(producer, data).items():
        replaced += [
            a.id
            for a in await _addresses(session, producer, scheme)
            if a.urn != urn and a.id is not None
        ]
    return replaced


async def _set_address(
    session: AsyncSession, producer: Producer, scheme: str, urn: str | None, staff: Staff
) -> None:
    assert producer.id is not None
    existing = await _addresses(session, producer, scheme)
    for address in existing:
        if address.urn != urn:
            await session.delete(address)
    await session.flush()
    if urn is not None and all(a.urn != urn for a in existing):
        await _claim_urn(session, urn, producer.id, staff)
        session.add(Address(producer_id=producer.id, urn=urn))
        await session.flush()


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
        await _claim_urn(session, urn, None, staff)
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
    for scheme, urn in _asked_urns(producer, data).items():
        await _set_address(session, producer, scheme, urn, staff)
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


async def delete_producer(session: AsyncSession, *, producer_id: int, staff: Staff) -> None:
    """Erase a producer and everything of theirs this domain holds (the audit keeps the
    erasure). Call it through app.lifecycle.producers.erase_producer, which first frees or
    deletes what other domains hold of theirs."""
    staff.require_writer()
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    urns = await urns_of(session, producer_id)
    # Earlier entries keep what happened, not who it happened to: their name, numbers and
    # chats go (an SMS sign-up recorded the phone as the actor and as the name). A bare number
    # too short to be anyone's alone (a test chat id) is only taken out in its URN form.
    bare = [urn.split(":", 1)[1] for urn in urns]
    await audit.erase(
        session,
        entity="producer",
        entity_id=producer_id,
        names=[producer.name],
        numbers=[*urns, *(b for b in bare if len(b.lstrip("+-")) >= 7)],
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
    await _stop(session, producer, actor=staff.actor, channel=data.channel)
    return producer


async def opt_out(session: AsyncSession, *, producer: Producer, channel: str) -> None:
    """The producer themselves sent STOP: nothing more is sent to them until they send JOIN.
    Their subscriptions are kept for that JOIN."""
    assert producer.id is not None
    await _stop(
        session, producer, actor=Actor.producer(producer.id), channel=_consent_channel(channel)
    )


def _consent_channel(channel: str) -> ConsentChannel:
    """The channel a message came by, as consent records it (`mic ask` counts as spoken)."""
    return ConsentChannel(channel) if channel in ("sms", "telegram") else ConsentChannel.VERBAL


async def _stop(
    session: AsyncSession, producer: Producer, *, actor: Actor, channel: ConsentChannel
) -> None:
    """Opt out: nothing is sent to a stopped producer until they consent again."""
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


# --- reading ------------------------------------------------------------------------------------


async def to_public(
    session: AsyncSession, producers: Sequence[Producer], *, staff: Staff
) -> list[ProducerPublic]:
    ids = [p.id for p in producers if p.id is not None]
    addresses: dict[int, list[str]] = defaultdict(list)
    subscriptions: dict[int, list[Subscription]] = defaultdict(list)
    if ids:
        for a in (
            await session.exec(select(Address).where(col(Address.producer_id).in_(ids)))
        ).all():
            addresses[a.producer_id].append(a.urn)
        for s in (
            await session.exec(select(Subscription).where(col(Subscription.producer_id).in_(ids)))
        ).all():
            subscriptions[s.producer_id].append(s)
    index = await load_index(session) if subscriptions else None
    out = []
    for p in producers:
        assert p.id is not None
        phone = next((u[4:] for u in addresses[p.id] if u.startswith("tel:")), None)
        chat = next((int(u[9:]) for u in addresses[p.id] if u.startswith("telegram:")), None)
        shown_chat: int | str | None = chat
        if not staff.sees_personal_data(p.country_code):
            phone = phone and mask_phone(phone)
            shown_chat = None if chat is None else mask_chat_id(chat)
        out.append(
            ProducerPublic(
                id=p.id,
                name=p.name,
                country=p.country_code,
                locale=p.locale,
                phone=phone,
                telegram_chat_id=shown_chat,
                kind=p.kind,
                script=p.script,
                digits=p.digits,
                plain_sms=p.plain_sms,
                quiet_hours=p.quiet_hours,
                roles=p.roles,
                daily_cap=p.daily_cap,
                status=p.status,
                consent_at=p.consent_at,
                consent_channel=p.consent_channel,
                stopped_at=p.stopped_at,
                created_at=p.created_at,
                subscriptions=[
                    _subscription_public(s, index) for s in subscriptions[p.id] if index
                ],
            )
        )
    return out


def _subscription_public(s: Subscription, index: CatalogueIndex) -> SubscriptionPublic:
    assert s.id is not None
    return SubscriptionPublic(
        id=s.id,
        commodity=index.commodity_by_id[s.commodity_id].slug,
        variety=index.variety_by_id[s.variety_id].slug if s.variety_id else None,
        market=index.market_by_id[s.market_id].slug if s.market_id else None,
        rule=s.rule,
        threshold=s.threshold,
        digest_time=s.digest_time,
        leads=s.leads,
    )


async def list_producers(
    session: AsyncSession,
    *,
    staff: Staff,
    country: str | None = None,
    status: ProducerStatus | None = None,
    kind: ProducerKind | None = None,
    search: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[ProducerPublic]:
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Producer).order_by(col(Producer.id).desc()).limit(limit + 1)
    countries = staff.visible_countries(country)
    if countries is not None:
        query = query.where(col(Producer.country_code).in_(countries))
    if search and search.strip():
        query = query.where(_matches(search, phones=staff.role is not Role.VIEWER))
    if status:
        query = query.where(Producer.status == status)
    if kind:
        query = query.where(Producer.kind == kind)
    if cursor is not None:
        query = query.where(col(Producer.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=await to_public(session, rows, staff=staff),
        next_cursor=rows[-1].id if more and rows else None,
    )


_PHONE_TEXT = re.compile(r"[+\d\s\-().]+")


def _matches(search: str, *, phones: bool) -> ColumnElement[bool]:
    """Producers whose name contains `search` (any case), or, for staff who see phone numbers
    (viewers see them masked: a search would unmask them), whose phone contains its digits as
    written in any form: `09 250 123`, `+95 9 250 123`, Burmese digits."""
    text = normalize_text(search, max_chars=120)
    name = col(Producer.name).ilike(f"%{_escape_like(text)}%", escape="\\")
    digits = re.sub(r"\D", "", to_ascii_digits(text))
    if not phones or len(digits) < 4 or not _PHONE_TEXT.fullmatch(to_ascii_digits(text)):
        return name
    # National numbers start with a trunk 0 that E.164 drops: 09 250... is +959250...
    forms = {digits, digits[1:]} if digits.startswith("0") else {digits}
    urns = select(Address.producer_id).where(
        or_(*(col(Address.urn).like(f"tel:%{form}%") for form in forms))
    )
    return or_(name, col(Producer.id).in_(urns))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- CSV import ---------------------------------------------------------------------------------

CSV_REQUIRED = ("name", "country", "kind")
CSV_OPTIONAL = (
    "phone",
    "telegram_chat_id",
    "locale",
    "script",
    "digits",
    "plain_sms",
    "roles",
    "quiet_hours",
    "daily_cap",
    "consent_channel",
    "consent_at",
)


async def import_producers_csv(
    session: AsyncSession, *, content: bytes, staff: Staff
) -> ImportReport:
    """Same contract as the price import: good rows stored, bad rows reported by line."""
    staff.require_writer()
    csv_file = read_csv(content, required=CSV_REQUIRED, optional=CSV_OPTIONAL)
    report = ImportReport()
    for row in csv_file.rows:
        if row.error:
            report.rejected.append(RowResult(row.line, error=row.error))
            continue
        v = {k: value for k, value in row.values.items() if value}
        fields: dict[str, Any] = {
            k: v[k] for k in v if k not in ("roles", "consent_channel", "consent_at")
        }
        if "roles" in v:
            fields["roles"] = [r.strip() for r in v["roles"].split("|") if r.strip()]
        if "consent_channel" in v:
            fields["consent"] = {"channel": v["consent_channel"], "at": v.get("consent_at")}
        try:
            data = ProducerCreate.model_validate(fields)
            async with session.begin_nested():
                producer = await create_producer(session, data=data, staff=staff, via="csv")
            report.accepted.append(RowResult(row.line, id=producer.id))
        except ValidationError as exc:
            report.rejected.append(RowResult(row.line, error=first_error(exc)))
        except AppError as exc:
            report.rejected.append(RowResult(row.line, error=str(exc.detail)))
    return report


# --- producers acting for themselves (commands by SMS or Telegram) -------------------------------

COUNTRY_LOCALES = {"MM": "my", "KH": "km", "LA": "lo", "VN": "vi"}


# Run for every message a producer sends: built once, bound at each execution.
_BY_URN = (
    select(Producer)
    .join(Address, col(Address.producer_id) == col(Producer.id))
    .where(Address.urn == bindparam("urn"), col(Address.active))
)


async def find_by_urn(session: AsyncSession, urn: str) -> Producer | None:
    return (await session.exec(_BY_URN, params={"urn": urn})).first()


def country_of_phone(e164: str) -> str | None:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    return region if region in COUNTRY_LOCALES else None


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
