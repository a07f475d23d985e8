"""Amounts (prices, quantities, thresholds, exchange rates) checked against the NUMERIC columns
that store them, so a value the database would refuse or round to zero is a clear 422."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

from app.core.errors import InvalidInput

# NUMERIC(18, 4) for prices, quantities and thresholds; NUMERIC(24, 10) for exchange rates. Both
# leave 14 digits before the decimal point.
AMOUNT_PLACES: Final = 4
RATE_PLACES: Final = 10
TOO_LARGE: Final = Decimal("1e14")


class AmbiguousNumber(InvalidInput):
    """A number written with a comma: a thousands separator or a decimal one, nobody can tell."""


class NotANumber(InvalidInput):
    """Text that is no number at all."""


def read_amount(text: str, name: str) -> Decimal | None:
    """An amount as a person typed it (a form field, a file's cell); empty text is no amount.
    Plain numbers only: "1,500" could be fifteen hundred or one and a half, so no guessing."""
    text = text.strip()
    if not text:
        return None
    if "," in text:
        raise AmbiguousNumber(
            f"{name} {text!r}: write numbers without thousands separators, "
            "with a point for decimals"
        )
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise NotANumber(f"{name} {text!r} is not a number") from exc


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
