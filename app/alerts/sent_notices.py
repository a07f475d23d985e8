"""Notices as they went out, for anyone to read (the public feeds): sent ones only, with the
moment their broadcast was written. A draft, a scheduled or a cancelled notice is nobody's
business but its country's staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.models import Broadcast
from app.core.db import UTCDateTime
from app.notices.models import Notice, NoticeStatus


@dataclass(frozen=True)
class SentNotice:
    notice: Notice
    sent_at: dt.datetime


async def sent_notices(session: AsyncSession, *, country: str, limit: int) -> list[SentNotice]:
    """The `limit` notices last sent to `country`, the latest first."""
    # A sent notice always has its broadcast (they are written in one transaction); the notice's
    # own times stand in should one ever be missing, rather than hiding a notice people received.
    sent_at = sa.func.coalesce(
        Broadcast.created_at, Notice.send_at, Notice.created_at, type_=UTCDateTime
    )
    # Target countries are a JSON list of codes: its text holds "KH" (quoted) exactly when KH
    # is one of them, which both engines can match without reading every notice ever sent.
    named = sa.cast(col(Notice.countries), sa.String).like(f'%"{country}"%')
    rows = await session.exec(
        select(Notice, sent_at)
        .join(Broadcast, col(Broadcast.notice_id) == col(Notice.id), isouter=True)
        .where(Notice.status == NoticeStatus.SENT, named)
        .order_by(sent_at.desc(), col(Notice.id).desc())
        .limit(limit)
    )
    return [SentNotice(notice, moment) for notice, moment in rows if country in notice.countries]
