"""Is a price plausible next to the series' recent published prices?

With five or more prices in the window, a price is an outlier when it lies more than three
median absolute deviations from the median; the deviation is never taken below 5 % of the
median, so that a flat series does not flag every small move. With fewer prices, too few for a
spread, only a jump beyond three times or a third of the median counts.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

WINDOW_DAYS: Final = 30
MAD_FACTOR: Final = 3
MIN_SPREAD: Final = Decimal("0.05")
RATIO: Final = 3
MIN_FOR_MAD: Final = 5


def is_outlier(price: Decimal, history: Sequence[Decimal]) -> bool:
    if not history:
        return False
    median = Decimal(statistics.median(history))
    if len(history) >= MIN_FOR_MAD:
        mad = Decimal(statistics.median([abs(p - median) for p in history]))
        return abs(price - median) > MAD_FACTOR * max(mad, MIN_SPREAD * median)
    return price > median * RATIO or price < median / RATIO


def explain(price: Decimal, history: Sequence[Decimal]) -> str:
    median = Decimal(statistics.median(history))
    return (
        f"{price} is far from the median {median.normalize():f} of the {len(history)} prices "
        f"published for this series in the last {WINDOW_DAYS} days"
    )
