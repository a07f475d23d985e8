"""Inbound SMS: recorded, answered by app.commands, and the answer queued in the outbox like
any other message, within a per-number and a global limit so that a looping phone or a storm of
inbound messages cannot run up the SMS bill."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.content import Variant
from app.alerts.direct import queue_direct
from app.alerts.models import Broadcast, BroadcastKind, ChannelName, Delivery
from app.commands.handle import Sender, answer_message
from app.commands.models import InboundMessage
from app.commands.parse import Parser
from app.core import clock
from app.core.config import Settings
from app.producers.models import Producer
from app.producers.service import country_of_phone
from app.text.formatting import Script

log = logging.getLogger("mic.sms")


@dataclass(frozen=True)
class SmsOutcome:
    """What happened to one inbound SMS, for the webhook's log line and the tests."""

    status: str  # answered | duplicate | not_served | rate_limited | storm | silent
    inbound_id: int | None = None
    replies: int = 0


async def receive_sms(
    session: AsyncSession,
    *,
    sender: str,
    text: str,
    parser: Parser,
    settings: Settings,
    gateway_id: str | None = None,
    now: dt.datetime | None = None,
) -> SmsOutcome:
    """`sender` is E.164 (+959...). Never raises for what a phone can send."""
    now = now or clock.utcnow()
    urn = f"tel:{sender}"
    if gateway_id is not None:
        seen = await session.exec(
            select(InboundMessage.id).where(InboundMessage.external_id == gateway_id)
        )
        if seen.first() is not None:
            log.info("inbound SMS %s from %s was already handled: ignored", gateway_id, urn)
            return SmsOutcome("duplicate")
    country = country_of_phone(sender)
    if country is None:
        log.warning("inbound SMS from %s: not a number of a country MIC serves; no reply", urn)
        return SmsOutcome("not_served")
    hour_ago = now - dt.timedelta(hours=1)
    recent = await _count(
        session,
        select(sa.func.count())
        .select_from(InboundMessage)
        .where(InboundMessage.urn == urn, col(InboundMessage.received_at) >= hour_ago),
    )
    record = await answer_message(
        session,
        parser=parser,
        text=text,
        sender=Sender(urn, "sms"),
        settings=settings,
        external_id=gateway_id,
    )
    if not record.replies:
        return SmsOutcome("silent", record.id)
    if recent >= settings.sms_replies_per_hour:
        log.warning("%s sent %d messages within the hour: not answered", urn, recent + 1)
        return SmsOutcome("rate_limited", record.id)
    minute_ago = now - dt.timedelta(minutes=1)
    replies_now = await _count(
        session,
        select(sa.func.count())
        .select_from(Broadcast)
        .where(Broadcast.kind == BroadcastKind.REPLY, col(Broadcast.created_at) >= minute_ago),
    )
    if replies_now >= settings.sms_replies_per_minute:
        log.error("more than %d SMS replies in a minute: not answering", replies_now)
        return SmsOutcome("storm", record.id)
    producer = await session.get(Producer, record.producer_id) if record.producer_id else None
    for number, reply in enumerate(record.replies):
        await queue_reply(
            session,
            key=f"reply:{record.id}:{number}",
            text=str(reply),
            urn=urn,
            country=producer.country_code if producer else country,
            producer=producer,
            locale=record.locale,
            settings=settings,
            now=now,
        )
    return SmsOutcome("answered", record.id, len(record.replies))


async def _count(session: AsyncSession, query: object) -> int:
    value = (await session.exec(query)).one()  # type: ignore[call-overload]
    return int(value)


async def queue_reply(
    session: AsyncSession,
    *,
    key: str,
    text: str,
    urn: str,
    country: str,
    producer: Producer | None,
    locale: str,
    settings: Settings,
    now: dt.datetime,
) -> Delivery:
    """One SMS answer in the outbox, due now: a reply answers a question just asked, so quiet
    hours do not apply, but it is charged to the country's budget like every SMS."""
    variant = Variant(
        locale,
        Script(producer.script) if producer else Script.UNICODE,
        str(producer.digits) if producer else "latin",
        producer.plain_sms if producer else False,
        ChannelName.SMS,
    )
    return await queue_direct(
        session,
        kind=BroadcastKind.REPLY,
        key=key,
        text=text,
        urn=urn,
        country=country,
        producer=producer,
        variant=variant,
        settings=settings,
        now=now,
    )
