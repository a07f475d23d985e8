"""The alert a price or a notice will trigger, shown before it is published or sent: how many
producers on which channel, the text every variant reads, its SMS segments and their cost.

Nothing here decides who receives what: the audience is the one `app.alerts.fanout` builds
when the price is published or the notice sent, and `fanout.preview` counts it with the same
matching, quiet hours, daily caps, digests and segment prices the fan-out's INSERT uses, so the
preview cannot drift from what publishing queues (tests/alerts/test_preview.py holds the two
together).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff, get_in_scope
from app.alerts import fanout
from app.alerts.content import Variant, contact_forms
from app.alerts.models import PreviewOut
from app.core.config import Settings
from app.core.errors import Conflict
from app.core.masking import mask_text
from app.notices import service as notices
from app.notices.models import NoticeStatus
from app.prices.models import PriceObservation, PriceStatus


async def price_preview(
    session: AsyncSession,
    *,
    price_id: int,
    staff: Staff,
    settings: Settings,
    now: dt.datetime | None = None,
) -> PreviewOut:
    """What publishing the price would queue now; for a price already published, what its
    publication queued is marked `already_sent`. A rejected price alerts nobody: 409."""
    price = await get_in_scope(session, PriceObservation, price_id, staff=staff, noun="price")
    if price.status is PriceStatus.REJECTED:
        raise Conflict(f"price {price_id} is rejected; a rejected price alerts nobody")
    audience = await fanout.price_audience(session, price)
    return masked(await fanout.preview(session, audience, settings, now=now), audience, staff)


async def notice_preview(
    session: AsyncSession,
    *,
    notice_id: int,
    staff: Staff,
    settings: Settings,
    now: dt.datetime | None = None,
) -> PreviewOut:
    """What sending the notice (a draft, or a scheduled one now) would queue: one text per
    language and variant, with its segments and cost. A cancelled notice is sent to nobody."""
    notice = await notices.get_notice(session, notice_id=notice_id, staff=staff)
    if notice.status is NoticeStatus.CANCELLED:
        raise Conflict(f"notice {notice_id} is cancelled; it is sent to nobody")
    audience = await fanout.notice_audience(session, notice)
    return masked(await fanout.preview(session, audience, settings, now=now), audience, staff)


def masked(out: PreviewOut, audience: fanout.Audience, staff: Staff) -> PreviewOut:
    """The preview with a buyer's contact hidden from staff who may not see personal data in
    every country the broadcast goes to."""
    if all(staff.sees_personal_data(c) for c in audience.countries):
        return out
    for shown in out.texts:
        variant = Variant(shown.locale, shown.script, shown.digits, shown.plain_sms, shown.channel)
        shown.text = mask_text(shown.text, contact_forms(audience.kind, audience.payload, variant))
    return out
