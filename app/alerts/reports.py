"""Reports to CDEs through the outbox: the daily list of the price series they follow that
have gone without a published price. Written in English, the working language of the CDE
network; sent to the contact each CDE set (`PATCH /me`), by SMS or Telegram."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.models import Role, StaffUser
from app.alerts import delivery
from app.alerts.direct import queue_direct
from app.alerts.models import Broadcast, BroadcastKind, ChannelName
from app.core import clock
from app.core.config import Settings
from app.prices.models import StaleSeries

SMS_CHARS = 450  # three GSM-7 segments: enough for a handful of series and the pointer


def stale_report(country: str, series: Sequence[StaleSeries], *, sms: bool) -> str:
    lines = [
        f"{s.commodity} at {s.market}: last {s.last_published or 'never'} "
        f"(every {s.max_age_days} d)"
        for s in series
    ]
    head = f"MIC {country}: {len(series)} followed price series are stale."
    text = head
    for shown, line in enumerate(lines):
        more = f" +{len(lines) - shown} more: GET /api/v1/prices/stale"
        if sms and len(text) + 2 + len(line) + len(more) > SMS_CHARS:
            return text + more
        text += ("\n" if not sms else "; ") + line
    return text


async def send_stale_reports(
    session: AsyncSession,
    *,
    country: str,
    series: Sequence[StaleSeries],
    day: dt.date,
    settings: Settings,
) -> int:
    """One report a day to each of the country's CDEs who set a contact; how many queued."""
    if not series:
        return 0
    users = (
        await session.exec(
            select(StaffUser).where(StaffUser.role == Role.CDE, col(StaffUser.contact).is_not(None))
        )
    ).all()
    queued = 0
    for user in users:
        key = f"report:stale:{country}:{day}:{user.id}"
        if country not in user.countries or user.contact is None:
            continue
        taken = await session.exec(select(Broadcast.id).where(Broadcast.key == key))
        if taken.first() is not None:  # the job ran twice today: once is enough
            continue
        channel = delivery.channel_of(user.contact)
        await queue_direct(
            session,
            kind=BroadcastKind.REPORT,
            key=key,
            text=stale_report(country, series, sms=channel is ChannelName.SMS),
            urn=user.contact,
            country=country,
            producer=None,
            variant=delivery.variant_for(None, channel, locale="en"),
            settings=settings,
            now=clock.utcnow(),
        )
        queued += 1
    return queued
