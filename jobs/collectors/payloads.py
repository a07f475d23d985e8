"""Reading a JSON payload the way the rate collectors need it: numbers as exact Decimals, and
a reason a person understands when the body is an HTML page, empty, or cut off."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from app.sources.records import CollectorError

# Thousands commas only where they belong: "1,85" read as 185 would be a wrong rate, not a
# rate, so it is refused like any other unreadable value.
_WITH_COMMAS = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")


def positive_number(value: object, *, thousands: bool = False) -> Decimal | None:
    """A rate as a Decimal, or None for null, 0, negative, "N/A" and other non-numbers.
    `thousands` accepts strings written with thousands commas ("1,850.0")."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str) and (_WITH_COMMAS if thousands else _PLAIN).fullmatch(
        value.strip()
    ):
        number = Decimal(value.strip().replace(",", ""))
    else:
        return None
    return number if number.is_finite() and number > 0 else None


def load_json_object(content: bytes, what: str) -> dict[str, object]:
    """The payload's top-level object; `what` names it in errors ("the CBM response")."""
    # Decimal keeps the digits exactly as written; a float would not.
    try:
        payload = json.loads(content.decode("utf-8-sig"), parse_float=Decimal)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
        raise CollectorError(_not_json(content, exc, what)) from exc
    if not isinstance(payload, dict):
        raise CollectorError(f"{what} is JSON but not an object: {show(payload)}")
    return payload


def _not_json(content: bytes, exc: ValueError, what: str) -> str:
    head = content[:1024].lstrip().lower()
    if head.startswith(b"<") and (b"<html" in head or b"<!doctype html" in head):
        return f"{what} is an HTML page, not JSON (an error or maintenance page?)"
    if not content.strip():
        return f"{what} is empty"
    cut = "" if content.rstrip().endswith((b"}", b"]")) else " and looks cut off"
    return f"{what} is not valid JSON{cut}: {exc}"


def show(value: object) -> str:
    """A value as the payload wrote it, short enough for a report line."""
    if isinstance(value, Decimal):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
