"""Answering stored inbound SMS on schedule: any whose answer failed in the transaction that
stored it (the process died, the database hiccupped, a bug; app/inbound/sms.py), so that a
message the gateway was told we received is always answered."""

from __future__ import annotations

import datetime as dt
import logging

from app.commands.parse import ParserCache
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.inbound.sms import answer_stored_sms, unanswered_sms

log = logging.getLogger("mic.sms")

INTERVAL_S = 10
# Younger messages may still be being answered by the request that stored them.
RETRY_AFTER_S = 30
# A message whose answer failed this often has something the code cannot handle: it stays
# stored, unanswered, for someone to look at, instead of being tried every ten seconds forever.
MAX_RETRIES = 5
BATCH = 100


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
