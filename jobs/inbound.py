"""Answering stored inbound SMS: in the transaction that stores one as it arrives, and on
schedule for any whose answer failed (the process died, the database hiccupped, a bug), so that
a message the gateway was told we received is always answered."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator

from app.alerts.replies import (
    SmsOutcome,
    answer_sms,
    answer_sms_record,
    store_sms,
    unanswered_sms,
)
from app.commands.parse import ParserCache
from app.core import clock
from app.core.config import Settings
from app.core.db import Database

log = logging.getLogger("mic.sms")

INTERVAL_S = 10
# Younger messages may still be being answered by the request that stored them.
RETRY_AFTER_S = 30
# A message whose answer failed this often has something the code cannot handle: it stays
# stored, unanswered, for someone to look at, instead of being tried every ten seconds forever.
MAX_RETRIES = 5
BATCH = 100


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


async def answer_unanswered(database: Database, parsers: ParserCache, settings: Settings) -> int:
    """Answer the stored SMS left unanswered; returns how many got replies queued."""
    async with database.session() as session:
        waiting = await unanswered_sms(
            session,
            received_before=clock.utcnow() - dt.timedelta(seconds=RETRY_AFTER_S),
            max_retries=MAX_RETRIES,
            limit=BATCH,
        )
    answered = 0
    for inbound_id in waiting:
        outcome = await answer_stored_sms(database, parsers, settings, inbound_id)
        if outcome is not None:
            log.info("inbound SMS %s answered late: %s", inbound_id, outcome.status)
            answered += outcome.status == "answered"
    return answered
