"""How long MIC keeps what identifies a person, and what is left of it afterwards.

Each rule here changes at most `limit` rows per call, oldest first, and the daily housekeeping
job (jobs/housekeeping.py) calls it in a transaction of its own until it changes fewer: short
transactions, so that on SQLite's one writer the dispatcher and the webhooks wait at most one
batch for their turn.

- **Inbound messages** (what producers and unknown numbers sent, with the replies they got)
  older than MIC_INBOUND_RETENTION_DAYS are deleted: nothing counts them over a longer time
  (the per-number and storm limits look back an hour), and their text is the sender's words.
  Conversations left unfinished for as long (a Telegram registration, which holds a name and a
  phone) go too.
- **Deliveries** older than MIC_DELIVERY_RETENTION_DAYS are anonymised, not deleted: each keeps
  its broadcast, status, channel, country, segments, cost and dates, which the broadcasts'
  counts and costs and the deliveries page are made of (the daily SMS spend per country has a
  table of its own, sms_spend), and loses the producer, the address, the number it went to,
  the gateway's id (a Telegram message id holds the chat id) and any number in its failure
  reason. Deliveries still waiting to be sent are left alone until they are.
- **Broadcast texts** are kept: alerts, replies and reports are written from the catalogs'
  templates and catalogue names and hold no one's name or number. The one exception, a buyer
  lead a producer offered (their name and number are its contact), is for them to take back by
  erasure (app.lifecycle.producers), which scrubs it everywhere.
- **Job runs** older than MIC_JOB_RUN_RETENTION_DAYS are deleted (running ones never).
- The audit log is kept: it is the record of who changed what, and an erased producer is taken
  out of it. Console sessions end by themselves (app.accounts.sign_in) and are deleted hourly.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.models import PENDING_STATUSES, Delivery
from app.commands.models import ChatState, InboundMessage
from app.core.config import Settings
from app.core.db import core_table, run_core
from app.core.masking import mask_numbers
from app.sources.models import JobRun, RunStatus

# Rows changed per transaction: a batch takes milliseconds, so a writer queued behind it waits
# about as long as behind any request.
BATCH = 500

INBOUND = core_table(InboundMessage)
CHAT_STATE = core_table(ChatState)
DELIVERY = core_table(Delivery)
JOB_RUN = core_table(JobRun)


@dataclass(frozen=True)
class Rule:
    """One retention rule: `apply(session, limit)` changes at most `limit` of the rows it is
    due for and says how many it changed."""

    done: str  # what happened to the rows, for the log: "inbound messages deleted"
    apply: Callable[[AsyncSession, int], Awaitable[int]]


def rules(settings: Settings, now: dt.datetime) -> list[Rule]:
    """Every retention rule, for a run at `now`."""

    def days_ago(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    inbound = days_ago(settings.inbound_retention_days)
    return [
        Rule("inbound messages deleted", functools.partial(delete_inbound, before=inbound)),
        Rule(
            "unfinished conversations deleted",
            functools.partial(delete_conversations, before=inbound),
        ),
        Rule(
            "deliveries anonymised",
            functools.partial(
                anonymise_deliveries, before=days_ago(settings.delivery_retention_days)
            ),
        ),
        Rule(
            "job runs deleted",
            functools.partial(delete_job_runs, before=days_ago(settings.job_run_retention_days)),
        ),
    ]


async def delete_inbound(session: AsyncSession, limit: int, *, before: dt.datetime) -> int:
    return await _delete_oldest(
        session, limit, INBOUND.c.id, INBOUND.c.received_at < before, order=INBOUND.c.id
    )


async def delete_conversations(session: AsyncSession, limit: int, *, before: dt.datetime) -> int:
    return await _delete_oldest(
        session,
        limit,
        CHAT_STATE.c.urn,
        CHAT_STATE.c.updated_at < before,
        order=CHAT_STATE.c.updated_at,
    )


async def anonymise_deliveries(session: AsyncSession, limit: int, *, before: dt.datetime) -> int:
    identified = sa.or_(
        DELIVERY.c.producer_id.is_not(None),
        DELIVERY.c.address_id.is_not(None),
        DELIVERY.c.to_urn.is_not(None),
        DELIVERY.c.gateway_id.is_not(None),
    )
    rows = (
        await run_core(
            session,
            sa.select(DELIVERY.c.id, DELIVERY.c.reason)
            .where(
                DELIVERY.c.created_at < before,
                DELIVERY.c.status.not_in(PENDING_STATUSES),
                identified,
            )
            .order_by(DELIVERY.c.id)
            .limit(limit),
        )
    ).all()
    if not rows:
        return 0
    await run_core(
        session,
        DELIVERY.update()
        .where(DELIVERY.c.id.in_([row.id for row in rows]))
        .values(producer_id=None, address_id=None, to_urn=None, gateway_id=None),
    )
    # A gateway's reason may quote the number ("'tel:+959…' is not a possible phone number").
    reasons = [
        {"delivery": row.id, "masked": masked}
        for row in rows
        if row.reason and (masked := mask_numbers(row.reason)) != row.reason
    ]
    if reasons:
        await run_core(
            session,
            DELIVERY.update()
            .where(DELIVERY.c.id == sa.bindparam("delivery"))
            .values(reason=sa.bindparam("masked")),
            reasons,
        )
    return len(rows)


async def delete_job_runs(session: AsyncSession, limit: int, *, before: dt.datetime) -> int:
    return await _delete_oldest(
        session,
        limit,
        JOB_RUN.c.id,
        JOB_RUN.c.status != RunStatus.RUNNING,
        JOB_RUN.c.started_at < before,
        order=JOB_RUN.c.id,
    )


async def _delete_oldest(
    session: AsyncSession,
    limit: int,
    key: sa.Column[Any],
    *due: sa.ColumnElement[bool],
    order: sa.Column[Any],
) -> int:
    """Delete at most `limit` rows of `key`'s table that are `due`, first in `order`."""
    oldest = sa.select(key).where(*due).order_by(order).limit(limit)
    done = await run_core(session, key.table.delete().where(key.in_(oldest)))
    return int(done.rowcount)
