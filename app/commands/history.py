"""A producer's conversation with MIC as staff read it: every message they sent and every
delivery made (or held, or failed) to them, newest first, merged from the inbound record and
the outbox and paged through both at once."""

from __future__ import annotations

import re
from typing import Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts import service as alerts
from app.commands.models import (
    InboundMessage,
    MessageDirection,
    ProducerMessage,
    ProducerMessagePage,
)
from app.core.errors import InvalidInput
from app.core.masking import mask_numbers
from app.core.pagination import MAX_LIMIT
from app.producers.service import get_producer

# Each source is paged by its own ids: "o<delivery id>.i<inbound id>" names the newest of each
# still to show (0: that source is exhausted). Merging by time within a page never skips a row.
_CURSOR: Final = re.compile(r"^o(\d{1,10})\.i(\d{1,10})$")


def _cursor(value: str | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    found = _CURSOR.match(value)
    if found is None:
        raise InvalidInput("cursor is not one this list gave: ask for the first page again")
    return int(found.group(1)), int(found.group(2))


async def producer_messages(
    session: AsyncSession,
    *,
    producer_id: int,
    staff: Staff,
    cursor: str | None = None,
    limit: int = 50,
) -> ProducerMessagePage:
    """In scope or refused like the producer's record; phones and chats in the texts masked
    for who may not see them (the deliveries as the outbox's own list shows them)."""
    producer = await get_producer(session, producer_id=producer_id, staff=staff)
    limit = max(1, min(limit, MAX_LIMIT - 1))
    out_before, in_before = _cursor(cursor)
    outgoing: list[ProducerMessage] = []
    if out_before != 0:
        deliveries = await alerts.list_deliveries(
            session, staff=staff, producer_id=producer_id, cursor=out_before, limit=limit + 1
        )
        outgoing = [
            ProducerMessage(
                direction=MessageDirection.OUT,
                id=d.id,
                at=d.created_at,
                channel=d.channel,
                text=d.text,
                status=d.status,
                reason=d.reason,
                sent_at=d.sent_at,
                delivered_at=d.delivered_at,
                segments=d.segments,
                cost=d.cost,
            )
            for d in deliveries.items
        ]
    incoming: list[ProducerMessage] = []
    if in_before != 0:
        query = (
            select(InboundMessage)
            .where(InboundMessage.producer_id == producer_id)
            .order_by(col(InboundMessage.id).desc())
            .limit(limit + 1)
        )
        if in_before is not None:
            query = query.where(col(InboundMessage.id) < in_before)
        personal = staff.sees_personal_data(producer.country_code)
        incoming = [
            ProducerMessage(
                direction=MessageDirection.IN,
                id=m.id or 0,
                at=m.received_at,
                channel=m.channel,
                text=m.text if personal else mask_numbers(m.text),
                intent=m.intent or None,
                answered_at=m.answered_at,
            )
            for m in (await session.exec(query)).all()
        ]
    merged = sorted(
        [*outgoing, *incoming], key=lambda m: (m.at, m.direction is MessageDirection.OUT, m.id)
    )[::-1]
    shown = merged[:limit]
    if len(merged) <= limit:
        return ProducerMessagePage(items=shown, next_cursor=None)
    return ProducerMessagePage(
        items=shown,
        next_cursor=f"o{_next(shown, outgoing, MessageDirection.OUT)}"
        f".i{_next(shown, incoming, MessageDirection.IN)}",
    )


def _next(
    shown: list[ProducerMessage], fetched: list[ProducerMessage], direction: MessageDirection
) -> int:
    """The id below which the next page reads this source: below the oldest shown, or where
    this page began when none was shown; 0 when this source has nothing older."""
    mine = [m.id for m in shown if m.direction is direction]
    left = [m.id for m in fetched if m.id not in mine]
    if not left:
        return 0
    return max(left) + 1
