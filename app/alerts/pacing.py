"""A channel's pace: its token bucket (a row in channel_pace, so the rate holds across every
dispatcher of a deployment) and the pause a gateway's 429 imposes on the whole channel."""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.locking import locked_row
from app.alerts.tables import CHANNEL_PACE
from app.core.db import insert_missing, run_core


def bucket_capacity(rate: float) -> float:
    """A small burst (a tenth of a second's worth) so a gateway's own limiter never trips."""
    return max(1.0, rate / 10)


async def take_tokens(
    session: AsyncSession, channel: str, want: int, rate: float, now: dt.datetime
) -> tuple[int, float]:
    """Up to `want` tokens from the channel's bucket, and the wait if none are left. The tokens
    are only reserved: `spend_tokens` takes off the ones used."""
    await insert_missing(
        session,
        CHANNEL_PACE,
        {"channel": str(channel), "tokens": bucket_capacity(rate), "refreshed_at": now},
        ["channel"],
    )
    row = await locked_row(
        session, sa.select(CHANNEL_PACE).where(CHANNEL_PACE.c.channel == channel)
    )
    tokens, refreshed, paused = row.tokens, row.refreshed_at, row.paused_until
    if paused is not None and paused > now:
        return 0, (paused - now).total_seconds()
    if rate <= 0:
        return want, 0.0
    elapsed = max(0.0, (now - refreshed).total_seconds())
    tokens = min(bucket_capacity(rate), tokens + elapsed * rate)
    granted = min(want, math.floor(tokens))
    await run_core(
        session,
        sa.update(CHANNEL_PACE)
        .where(CHANNEL_PACE.c.channel == channel)
        .values(tokens=tokens, refreshed_at=now, paused_until=None),
    )
    return granted, 0.0 if granted else (1 - tokens) / rate


async def spend_tokens(session: AsyncSession, channel: str, used: int) -> None:
    if used:
        await run_core(
            session,
            sa.update(CHANNEL_PACE)
            .where(CHANNEL_PACE.c.channel == channel)
            .values(tokens=CHANNEL_PACE.c.tokens - used),
        )


async def pause_channel(session: AsyncSession, channel: str, until: dt.datetime) -> None:
    await run_core(
        session,
        sa.update(CHANNEL_PACE)
        .where(
            CHANNEL_PACE.c.channel == channel,
            sa.or_(CHANNEL_PACE.c.paused_until.is_(None), CHANNEL_PACE.c.paused_until < until),
        )
        .values(paused_until=until),
    )
