"""The outbox at a glance for staff: deliveries counted per status and channel, why the failed
ones failed, and what SMS cost per day and country, over the last days and in their scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts.models import (
    ChannelName,
    DailyCost,
    Delivery,
    DeliveryCount,
    DeliveryStatus,
    DeliverySummary,
    FailureReason,
    SmsSpend,
)
from app.core import clock
from app.core.config import Settings
from app.core.db import run_core
from app.core.errors import InvalidInput
from app.core.masking import mask_numbers

MAX_DAYS: Final = 90
MAX_REASONS: Final = 50
FAILING: Final = (DeliveryStatus.FAILED, DeliveryStatus.ERRORED)


async def delivery_summary(
    session: AsyncSession,
    *,
    staff: Staff,
    settings: Settings,
    country: str | None = None,
    days: int = 7,
) -> DeliverySummary:
    """Deliveries queued in the last `days` days (1 to 90) of the visible countries."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days is between 1 and {MAX_DAYS}")
    countries = staff.visible_countries(country)
    since = clock.utcnow() - dt.timedelta(days=days)
    scope = [col(Delivery.created_at) >= since]
    if countries is not None:
        scope.append(col(Delivery.country_code).in_(countries))
    counts = (
        await run_core(
            session,
            sa.select(col(Delivery.status), col(Delivery.channel), sa.func.count())
            .where(*scope)
            .group_by(col(Delivery.status), col(Delivery.channel))
            .order_by(col(Delivery.status), col(Delivery.channel)),
        )
    ).all()
    failures = (
        await run_core(
            session,
            sa.select(
                col(Delivery.reason),
                col(Delivery.channel),
                col(Delivery.country_code),
                sa.func.count(),
                sa.func.max(col(Delivery.updated_at)),
            )
            .where(*scope, col(Delivery.status).in_(FAILING))
            .group_by(col(Delivery.reason), col(Delivery.channel), col(Delivery.country_code))
            .order_by(sa.func.count().desc())
            .limit(MAX_REASONS),
        )
    ).all()
    spend = [col(SmsSpend.day) >= (since - dt.timedelta(days=1)).date()]
    if countries is not None:
        spend.append(col(SmsSpend.country_code).in_(countries))
    costs = (
        await run_core(
            session,
            sa.select(col(SmsSpend.day), col(SmsSpend.country_code), col(SmsSpend.spent))
            .where(*spend)
            .order_by(col(SmsSpend.day).desc(), col(SmsSpend.country_code)),
        )
    ).all()
    return DeliverySummary(
        since=since,
        counts=[
            DeliveryCount(status=DeliveryStatus(s), channel=ChannelName(c), count=n)
            for s, c, n in counts
        ],
        failures=[
            FailureReason(
                reason=_reason(reason, staff=staff, country=code),
                channel=ChannelName(channel),
                count=n,
                last_at=last,
            )
            for reason, channel, code, n, last in failures
        ],
        costs=[
            DailyCost(
                day=day, country=code, spent=Decimal(spent), currency=settings.sms_cost_currency
            )
            for day, code, spent in costs
        ],
    )


def _reason(reason: str | None, *, staff: Staff, country: str) -> str:
    text = reason or "(no reason recorded)"
    return text if staff.sees_personal_data(country) else mask_numbers(text)
