"""Is a price plausible next to the series' recent published prices?

With five or more prices in the window, a price is an outlier when it lies more than three
median absolute deviations from the median; the deviation is never taken below 5 % of the
median, so that a flat series does not flag every small move. With fewer prices, too few for a
spread, only a jump beyond three times or a third of the median counts.

The window is defined here once: the published prices of the same series (commodity, variety,
market, unit, currency) observed from WINDOW_DAYS before a price's day up to that day, both
days included. A single price asks the database for it (`window_start`); an import or a source
run loads the window of all its rows at once into a `RecentPrices`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Final

WINDOW_DAYS: Final = 30
MAD_FACTOR: Final = 3
MIN_SPREAD: Final = Decimal("0.05")
RATIO: Final = 3
MIN_FOR_MAD: Final = 5


def window_start(on: dt.date) -> dt.date:
    """The first day of the window a price observed `on` is judged against."""
    return on - dt.timedelta(days=WINDOW_DAYS)


class RecentPrices:
    """Published prices per series, in date order, for the plausibility check of many new rows
    without a query per row. The rows a batch publishes are added as it goes: they are history
    for its rows of later days."""

    def __init__(self) -> None:
        self._dates: dict[Hashable, list[dt.date]] = defaultdict(list)
        self._prices: dict[Hashable, list[Decimal]] = defaultdict(list)

    def add(self, series: Hashable, on: dt.date, price: Decimal) -> None:
        i = bisect.bisect_right(self._dates[series], on)
        self._dates[series].insert(i, on)
        self._prices[series].insert(i, price)

    def window(self, series: Hashable, on: dt.date) -> list[Decimal]:
        dates = self._dates.get(series)
        if not dates:
            return []
        return self._prices[series][
            bisect.bisect_left(dates, window_start(on)) : bisect.bisect_right(dates, on)
        ]


def median(history: Sequence[Decimal]) -> Decimal:
    """What a price is compared with: the median of the series' window."""
    return Decimal(statistics.median(history))


def is_outlier(price: Decimal, history: Sequence[Decimal]) -> bool:
    if not history:
        return False
    middle = median(history)
    if len(history) >= MIN_FOR_MAD:
        mad = median([abs(p - middle) for p in history])
        return abs(price - middle) > MAD_FACTOR * max(mad, MIN_SPREAD * middle)
    return price > middle * RATIO or price < middle / RATIO


def explain(price: Decimal, history: Sequence[Decimal]) -> str:
    return (
        f"{price} is far from the median {median(history).normalize():f} of the "
        f"{len(history)} prices published for this series in the last {WINDOW_DAYS} days"
    )
