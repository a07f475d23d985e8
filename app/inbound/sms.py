"""Inbound SMS: stored first (committed before the gateway hears back), then answered by
app.commands in a savepoint of the same transaction (`receive_sms`), and the answer queued in
the outbox like any other message, within a per-number and a global limit so that a looping
phone or a storm of inbound messages cannot run up the SMS bill. A stored message whose answer
failed is answered again by the scheduler (jobs/inbound.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.delivery import variant_for
from app.alerts.direct import queue_direct
from app.alerts.models import Broadcast, BroadcastKind, ChannelName, Delivery
from app.commands.handle import Sender, answer_message
from app.commands.models import InboundMessage
from app.commands.parse import Parser, ParserCache
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, core_table, insert_missing
from app.producers.addresses import country_of_phone
from app.producers.models import Producer

log = logging.getLogger("mic.sms")


@dataclass(frozen=True)
class SmsOutcome:
    """What happened to one inbound SMS, for the webhook's log line and the tests."""

    # answered | duplicate | not_served | rate_limited | storm | silent, or stored: kept,
    # its answer failed and is retried later
    status: str
    inbound_id: int | None = None
    replies: int = 0


async def store_sms(
    session: AsyncSession, *, sender: str, text: str, gateway_id: str | None = None
) -> InboundMessage | None:
    """The message as it arrived, before anything else is done with it: once this is committed
    the gateway may be told it was received, and a failure while answering loses nothing.
    Returns it, in the session as stored (so answering it reads nothing again); None when the
    gateway already delivered this message (its id is known)."""
    record = InboundMessage(
        urn=f"tel:{sender}",
        channel="sms",
        # Kept whole up to the column's size; the answer stores the normalised text.
        text=text[:1000],
        external_id=gateway_id,
        received_at=clock.utcnow(),
    )
    table = core_table(InboundMessage)
    # One statement that skips a message already stored, where the ORM would fail on it.
    stored = await insert_missing(
        session,
        table,
        {
            column.name: getattr(record, column.name)
            for column in table.columns
            if column.name != "id"
        },
        ["external_id"],
        returning=table.c.id,
    )
    inbound_id = stored.scalar_one_or_none()
    if inbound_id is None:
        log.info("inbound SMS %s from %s was already received: ignored", gateway_id, sender)
        return None
    record.id = int(inbound_id)
    # Exactly the row just written: the session takes it as if it had read it.
    make_transient_to_detached(record)
    session.add(record)
    return record


async def answer_sms(
    session: AsyncSession,
    *,
    inbound_id: int,
    parser: Parser,
    settings: Settings,
    text: str | None = None,
    now: dt.datetime | None = None,
) -> SmsOutcome:
    """Answer a stored SMS that is not answered yet, queueing the replies in the outbox; a
    message already answered (by another request or the retry job) is left alone. `text` is
    the message as received when the caller still has it (the stored one is cut at 1000
    characters). Never raises for what a phone can send."""
    record = (
        await session.exec(
            select(InboundMessage)
            .where(InboundMessage.id == inbound_id, col(InboundMessage.answered_at).is_(None))
            .with_for_update()
        )
    ).first()
    if record is None:
        return SmsOutcome("duplicate", inbound_id)
    return await answer_sms_record(
        session, record=record, parser=parser, settings=settings, text=text, now=now
    )


# The per-number and the storm limit, counted in one query for every SMS: built once.
_RECENT = select(
    select(sa.func.count())
    .select_from(InboundMessage)
    .where(
        InboundMessage.urn == sa.bindparam("urn"),
        col(InboundMessage.received_at) >= sa.bindparam("hour_ago"),
        InboundMessage.id != sa.bindparam("id"),
    )
    .scalar_subquery(),
    select(sa.func.count())
    .select_from(Broadcast)
    .where(
        Broadcast.kind == BroadcastKind.REPLY,
        col(Broadcast.created_at) >= sa.bindparam("minute_ago"),
    )
    .scalar_subquery(),
)


async def answer_sms_record(
    session: AsyncSession,
    *,
    record: InboundMessage,
    parser: Parser,
    settings: Settings,
    text: str | None = None,
    now: dt.datetime | None = None,
) -> SmsOutcome:
    """answer_sms() for a message the caller holds unanswered: read and locked by answer_sms,
    or stored by this transaction (which nobody else sees before it commits)."""
    now = now or clock.utcnow()
    urn = record.urn
    country = country_of_phone(urn.removeprefix("tel:"))
    if country is None:
        log.warning("inbound SMS from %s: not a number of a country MIC serves; no reply", urn)
        record.answered_at = now
        session.add(record)
        return SmsOutcome("not_served", record.id)
    limits = {
        "urn": urn,
        "id": record.id,
        "hour_ago": now - dt.timedelta(hours=1),
        "minute_ago": now - dt.timedelta(minutes=1),
    }
    recent, replies_now = (await session.exec(_RECENT, params=limits)).one()
    record = await answer_message(
        session,
        parser=parser,
        text=record.text if text is None else text,
        sender=Sender(urn, "sms"),
        settings=settings,
        record=record,
    )
    if not record.replies:
        return SmsOutcome("silent", record.id)
    if recent >= settings.sms_replies_per_hour:
        log.warning("%s sent %d messages within the hour: not answered", urn, recent + 1)
        return SmsOutcome("rate_limited", record.id)
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


async def unanswered_sms(
    session: AsyncSession, *, received_before: dt.datetime, max_retries: int, limit: int
) -> list[int]:
    """Stored SMS still waiting for an answer, oldest first, counting this try of each: the
    answer of one the code cannot handle is not tried more than `max_retries` times."""
    rows = (
        await session.exec(
            select(InboundMessage)
            .where(
                col(InboundMessage.answered_at).is_(None),
                InboundMessage.channel == "sms",
                col(InboundMessage.received_at) < received_before,
                col(InboundMessage.retries) < max_retries,
            )
            .order_by(col(InboundMessage.id))
            .limit(limit)
        )
    ).all()
    for record in rows:
        record.retries += 1
        session.add(record)
    await session.flush()
    return [record.id or 0 for record in rows]


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
    return await queue_direct(
        session,
        kind=BroadcastKind.REPLY,
        key=key,
        text=text,
        urn=urn,
        country=country,
        producer=producer,
        variant=variant_for(producer, ChannelName.SMS, locale=locale),
        settings=settings,
        now=now,
    )


# --- transactions -------------------------------------------------------------------------------


@contextlib.contextmanager
def _retried_if_failing(inbound_id: int | None) -> Iterator[None]:
    """A failure while answering a stored message is logged, not raised: the message stays
    stored and unanswered, and the retry job answers it."""
    try:
        yield
    except Exception:
        log.exception(
            "inbound SMS %s is stored but its answer failed; it will be retried", inbound_id
        )


async def receive_sms(
    database: Database,
    parsers: ParserCache,
    settings: Settings,
    *,
    sender: str,
    text: str,
    gateway_id: str | None = None,
) -> SmsOutcome | None:
    """Store one inbound SMS and answer it in a single transaction, the answer inside a
    savepoint: a failure while answering rolls back the answer alone, the stored message is
    committed all the same (status "stored") and the retry job answers it. One transaction
    instead of a store and an answer of their own: on SQLite every transaction waits its turn
    for the write lock, and under a storm of questions each turn is queued behind all others.
    Returns when the commit is done, so the gateway hears 200 only for a stored message; None
    when the gateway delivered this message before."""
    async with database.session() as session:
        record = await store_sms(session, sender=sender, text=text, gateway_id=gateway_id)
        if record is None:
            return None
        # Taken now: the record's attributes are expired when its answer is rolled back.
        outcome = SmsOutcome("stored", record.id)
        with _retried_if_failing(record.id):
            async with session.begin_nested():
                outcome = await answer_sms_record(
                    session,
                    record=record,
                    parser=await parsers.get(session),
                    settings=settings,
                    text=text,
                )
    return outcome


async def answer_stored_sms(
    database: Database, parsers: ParserCache, settings: Settings, inbound_id: int
) -> SmsOutcome | None:
    """Answer one stored SMS in a transaction of its own; None (logged) when that failed, and
    the message waits for the next try."""
    with _retried_if_failing(inbound_id):
        async with database.session() as session:
            return await answer_sms(
                session, inbound_id=inbound_id, parser=await parsers.get(session), settings=settings
            )
    return None
