"""Exchange rates loaded for a range of dates convert exactly as the whole history does, for
every date in that range: the rate in force before the range is kept, later ones are not
needed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.core.db import Database
from app.prices.fx import FxBook
from app.prices.models import FxRate

START = dt.date(2026, 1, 1)


async def test_rates_loaded_since_a_date_convert_as_the_whole_history_does(
    database: Database,
) -> None:
    async with database.session() as s:
        for day in range(0, 120, 3):  # kyat every third day, yuan weekly, riel once, long ago
            s.add(
                FxRate(
                    base="USD",
                    quote="MMK",
                    rate=Decimal(2000 + day),
                    on_date=START + dt.timedelta(days=day),
                    source="cbm",
                )
            )
        for day in range(0, 120, 7):
            s.add(
                FxRate(
                    base="CNY",
                    quote="USD",
                    rate=Decimal("0.14") + Decimal(day) / 10000,
                    on_date=START + dt.timedelta(days=day),
                    source="cbm",
                )
            )
        s.add(FxRate(base="USD", quote="KHR", rate=Decimal(4100), on_date=START, source="nbc"))
    since, until = START + dt.timedelta(days=100), START + dt.timedelta(days=110)
    currencies = {"MMK", "CNY", "KHR"}
    async with database.session() as s:
        whole = await FxBook.load(s, currencies, until)
        recent = await FxBook.load(s, currencies, until, since=since)
    assert len(recent._rates[("USD", "MMK")]) < len(whole._rates[("USD", "MMK")])
    for day in range((until - since).days + 1):
        on = since + dt.timedelta(days=day)
        for base, quote in (("CNY", "MMK"), ("USD", "KHR"), ("MMK", "CNY"), ("KHR", "MMK")):
            assert recent.rate(base, quote, on) == whole.rate(base, quote, on), (base, quote, on)
            assert whole.rate(base, quote, on) is not None
