"""Amounts (prices, quantities, thresholds, exchange rates) checked against the NUMERIC columns
that store them, so a value the database would refuse or round to zero is a clear 422."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from app.core.errors import InvalidInput

# NUMERIC(18, 4) for prices, quantities and thresholds; NUMERIC(24, 10) for exchange rates. Both
# leave 14 digits before the decimal point.
AMOUNT_PLACES: Final = 4
RATE_PLACES: Final = 10
TOO_LARGE: Final = Decimal("1e14")


def check_amount(name: str, value: Decimal | None, *, places: int = AMOUNT_PLACES) -> None:
    """A positive, finite amount the column holds without turning it into zero."""
    if value is None:
        return
    if not value.is_finite():
        raise InvalidInput(f"{name} must be a number, not {value}")
    if value <= 0:
        raise InvalidInput(f"{name} must be more than zero (got {value})")
    if value >= TOO_LARGE:
        raise InvalidInput(f"{name} {value} is too large (at most 14 digits before the point)")
    smallest = Decimal(1).scaleb(-places)
    if value < smallest:
        raise InvalidInput(f"{name} {value} is below {smallest}, the smallest amount stored")
