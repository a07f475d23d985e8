"""The SMS budget: each country's spend per local day, charged when an SMS is first claimed;
past MIC_SMS_DAILY_BUDGET further SMS are held for an admin."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts.locking import locked_row
from app.alerts.models import DeliveryStatus
from app.alerts.tables import COUNTRY, DELIVERY, SMS_SPEND
from app.core import clock
from app.core.config import Settings
from app.core.db import insert_missing, run_core


async def charge_budget(
    session: AsyncSession, rows: list[Any], settings: Settings, now: dt.datetime
) -> list[Any]:
    """Charge first attempts to their country's SMS budget for the local day and hold those
    past it; returns the rows that may be sent. A retry or a delivery an admin released past
    the budget is not charged (again)."""
    zones = dict((await run_core(session, sa.select(COUNTRY.c.code, COUNTRY.c.timezone))).all())
    by_country: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_country[row.country_code].append(row)
    kept: list[Any] = []
    for country, items in by_country.items():
        charged = [r for r in items if r.attempts == 0 and not r.budget_override]
        kept += [r for r in items if r not in charged]
        if not charged:
            continue
        day = clock.local_date(now, zones.get(country, "UTC"))
        budget = settings.sms_daily_budget.get(country)
        key = sa.and_(SMS_SPEND.c.country_code == country, SMS_SPEND.c.day == day)
        await insert_missing(
            session,
            SMS_SPEND,
            {"country_code": country, "day": day, "spent": 0, "held": 0},
            ["country_code", "day"],
        )
        row = await locked_row(session, sa.select(SMS_SPEND.c.spent).where(key))
        spent = Decimal(row.spent)
        held = []
        for item in charged:
            cost = Decimal(item.cost)
            if budget is not None and spent + cost > budget:
                held.append(item.id)
            else:
                spent += cost
                kept.append(item)
        await run_core(
            session,
            sa.update(SMS_SPEND).where(key).values(spent=spent, held=SMS_SPEND.c.held + len(held)),
        )
        if held:
            await run_core(
                session,
                sa.update(DELIVERY)
                .where(DELIVERY.c.id.in_(held))
                .values(
                    status=DeliveryStatus.HELD.value,
                    next_attempt_at=None,
                    reason=f"daily SMS budget for {country} reached "
                    f"({budget} {settings.sms_cost_currency})",
                    updated_at=now,
                ),
            )
    return kept
