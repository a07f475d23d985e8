"""The one plausibility window: the 30 days before a price's day and that day, both included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.prices.plausibility import WINDOW_DAYS, RecentPrices, window_start

DAY = dt.date(2026, 3, 31)


def test_the_window_starts_thirty_days_before() -> None:
    assert WINDOW_DAYS == 30
    assert window_start(DAY) == dt.date(2026, 3, 1)


def test_recent_prices_hold_the_window_bounds_and_keep_series_apart() -> None:
    recent = RecentPrices()
    for days_before, price in [(-1, "1"), (0, "2"), (30, "3"), (31, "4"), (10, "5")]:
        recent.add("mango", DAY - dt.timedelta(days=days_before), Decimal(price))
    recent.add("rice", DAY, Decimal("9"))

    # Date order, the day itself and the window's first day in; the day after and before out.
    assert recent.window("mango", DAY) == [Decimal("3"), Decimal("5"), Decimal("2")]
    assert recent.window("rice", DAY) == [Decimal("9")]
    assert recent.window("fish", DAY) == []
