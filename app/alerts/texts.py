"""A broadcast's texts: rendered once per variant of reader and channel, stored, and shared by
every recipient who reads it that way."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.content import Variant, render
from app.alerts.models import Broadcast, BroadcastKind, BroadcastText, ChannelName
from app.core.config import Settings
from app.text.formatting import Script
from app.text.sms import Splitting, splitting_for


def text_row(broadcast: Broadcast, variant: Variant, splitting: Splitting) -> BroadcastText:
    """The broadcast's text for `variant`, rendered, not yet stored."""
    rendered = render(
        BroadcastKind(broadcast.kind), broadcast.payload, variant, splitting=splitting
    )
    return BroadcastText(
        broadcast_id=broadcast.id or 0,
        locale=variant.locale,
        script=variant.script,
        digits=variant.digits,
        plain_sms=variant.plain_sms,
        channel=variant.channel,
        text=rendered.text,
        segments=rendered.segments,
        encoding=rendered.encoding,
    )


async def text_for(
    session: AsyncSession,
    broadcast: Broadcast,
    variant: Variant,
    *,
    settings: Settings,
) -> BroadcastText:
    """The broadcast's text for `variant`, rendered now if no recipient needed it before."""
    found = (
        await session.exec(
            select(BroadcastText).where(
                BroadcastText.broadcast_id == broadcast.id,
                BroadcastText.locale == variant.locale,
                BroadcastText.script == variant.script,
                BroadcastText.digits == variant.digits,
                BroadcastText.plain_sms == variant.plain_sms,
                BroadcastText.channel == variant.channel,
            )
        )
    ).first()
    if found is not None:
        return found
    text = text_row(broadcast, variant, splitting_for(settings.sms_gateway))
    session.add(text)
    await session.flush()
    return text


async def rewrite_texts(session: AsyncSession, broadcast: Broadcast) -> None:
    """Every stored text of `broadcast` rendered again from its payload, which changed (an
    erased producer's offer lost their name and number): each in its own variant, so the
    name and number go however that variant wrote them (Zawgyi, native digits, Latin
    letters). Segments and encoding stay those of the text that was sent and billed."""
    rows = await session.exec(
        select(BroadcastText).where(BroadcastText.broadcast_id == broadcast.id)
    )
    for row in rows.all():
        variant = Variant(
            row.locale, Script(row.script), row.digits, row.plain_sms, ChannelName(row.channel)
        )
        # The splitting only counts segments, which are kept as they were.
        rendered = render(
            BroadcastKind(broadcast.kind), broadcast.payload, variant, splitting=Splitting.GRAPHEMES
        )
        row.text = rendered.text
        session.add(row)
    await session.flush()
