"""Recording what sending claimed deliveries did, in batches: sent, retried later with backoff,
paused with the whole channel after a 429 or while it is down, or failed for good."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.claims import Claimed
from app.alerts.models import ChannelName, DeliveryStatus
from app.alerts.pacing import pause_channel
from app.alerts.tables import ADDRESS, DELIVERY
from app.channels.base import ChannelError, ErrorKind, SendResult
from app.core.config import Settings
from app.core.db import run_core


@dataclass(frozen=True)
class Outcome:
    """What sending one claimed delivery did: a result, or the channel's error."""

    claimed: Claimed
    at: dt.datetime
    result: SendResult | None = None
    error: ChannelError | None = None


def backoff(attempts: int, settings: Settings) -> float:
    """Seconds before the next try: exponential in the attempts made (its base capped at an
    hour), times a random factor between 0.5 and 1.5 (±50 % jitter) so that the deliveries one
    outage failed together do not all come back at the same moment."""
    base = min(3600.0, settings.dispatch_backoff_s * float(2 ** max(0, attempts - 1)))
    jitter: float = random.uniform(0.5, 1.5)  # noqa: S311 - spreading retries, not a secret
    return base * jitter


async def record(
    session: AsyncSession, outcomes: list[Outcome], *, worker: str, settings: Settings
) -> list[int]:
    """Write back a batch of send outcomes; returns the Telegram deliveries that need an SMS
    fallback (failed permanently), which the caller passes to
    `app.alerts.fallback.fall_back_to_sms`."""
    interval = dt.timedelta(seconds=settings.recipient_interval_s)
    updates: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    dead_addresses: list[int] = []
    fallbacks: list[int] = []
    for outcome in outcomes:
        claimed = outcome.claimed
        values: dict[str, Any] = {
            "_id": claimed.delivery_id,
            "_worker": worker,
            "updated_at": outcome.at,
        }
        next_send = outcome.at + interval
        error = outcome.error
        if error is None:
            values |= {
                "status": DeliveryStatus.SENT.value,
                "sent_at": outcome.at,
                "gateway_id": outcome.result.gateway_id if outcome.result else None,
                "next_attempt_at": None,
                "reason": None,
                "attempts": claimed.attempts,
            }
        elif error.kind in (ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE):
            pause = outcome.at + dt.timedelta(seconds=error.retry_after or 1.0)
            await pause_channel(session, claimed.channel, pause)
            # A 429, or a gateway that is down, is the channel's state, not this message's
            # fault: the attempt is given back.
            values |= {
                "status": DeliveryStatus.QUEUED.value,
                "next_attempt_at": pause,
                "reason": error.reason,
                "attempts": claimed.attempts - 1,
            }
            next_send = max(next_send, pause)
        elif (
            error.kind is ErrorKind.TRANSIENT and claimed.attempts < settings.dispatch_max_attempts
        ):
            retry_in = dt.timedelta(seconds=backoff(claimed.attempts, settings))
            values |= {
                "status": DeliveryStatus.ERRORED.value,
                "next_attempt_at": outcome.at + retry_in,
                "reason": f"attempt {claimed.attempts}: {error.reason}"[:500],
                "attempts": claimed.attempts,
            }
        else:
            if error.kind is ErrorKind.TRANSIENT:
                reason = f"gave up after {claimed.attempts} attempts: {error.reason}"
            else:
                reason = error.reason
            values |= {
                "status": DeliveryStatus.FAILED.value,
                "next_attempt_at": None,
                "reason": reason[:500],
                "attempts": claimed.attempts,
            }
            if error.kind is ErrorKind.PERMANENT and claimed.channel is ChannelName.TELEGRAM:
                fallbacks.append(claimed.delivery_id)
        updates.append(values)
        addresses.append({"_delivery": claimed.delivery_id, "next_send_at": next_send})
        if error is not None and error.address_invalid:
            dead_addresses.append(claimed.delivery_id)
    if not updates:
        return []
    for group in _by_keys(updates):
        columns = [k for k in group[0] if not k.startswith("_")]
        await run_core(
            session,
            sa.update(DELIVERY)
            .where(
                DELIVERY.c.id == sa.bindparam("_id"),
                DELIVERY.c.claimed_by == sa.bindparam("_worker"),
                DELIVERY.c.status == DeliveryStatus.SENDING.value,
            )
            .values({k: sa.bindparam(k) for k in columns}),
            group,
        )
    address_of = (
        sa.select(DELIVERY.c.address_id)
        .where(DELIVERY.c.id == sa.bindparam("_delivery"))
        .scalar_subquery()
    )
    await run_core(
        session,
        sa.update(ADDRESS)
        .where(ADDRESS.c.id == address_of)
        .values(next_send_at=sa.bindparam("next_send_at")),
        addresses,
    )
    if dead_addresses:
        await run_core(
            session,
            sa.update(ADDRESS)
            .where(
                ADDRESS.c.id.in_(
                    sa.select(DELIVERY.c.address_id).where(DELIVERY.c.id.in_(dead_addresses))
                )
            )
            .values(active=False),
        )
    return fallbacks


def _by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """executemany needs the same parameters in every row: group rows by their key sets."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())
