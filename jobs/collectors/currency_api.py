"""Daily rate files of the fawazahmed0 currency-api, served from jsDelivr without a key:
`{"date": "2024-02-19", "usd": {"mmk": 2098.9155, "khr": 4083.7, "btc": ..., ...}}`, read as
RateRecords of 1 base = `rate` quote (1 USD = 2098.9155 MMK).

A file has some 700 codes, most of them crypto tokens ("1inch", "$wen", "00"). Only the
currencies asked for are read: an odd token elsewhere in the file is none of our business, while
a currency we asked for and did not get is a row problem, so that a gap in the region's rates
shows in the run's report instead of passing silently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import httpx

from app.sources.mappings import DEFAULT_CURRENCIES, CurrencyMapping
from app.sources.models import Source
from app.sources.records import CollectorError, Parsed, RateRecord, RowProblem
from jobs.collectors.base import Collected, fetch_parsed
from jobs.collectors.payloads import load_json_object, positive_number, show

DEFAULT_URL = (
    "https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@latest/v1/currencies/usd.min.json"
)
# The producers' currencies (Myanmar, Cambodia, Laos, Vietnam) and those of their buyers
# across the borders (China, Thailand).

_CODE = re.compile(r"[A-Za-z]{3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SOURCE = "the currency-api file"


def parse(content: bytes, *, currencies: Sequence[str] = DEFAULT_CURRENCIES) -> Parsed[RateRecord]:
    payload = load_json_object(content, _SOURCE)
    on_date = _file_date(payload.get("date"))
    base, rates = _base_rates(payload)
    parsed: Parsed[RateRecord] = Parsed()
    for line, wanted in enumerate(currencies, start=1):
        code = wanted.upper()
        # The file's keys are lower case ("mmk").
        if code.lower() not in rates:
            parsed.problems.append(RowProblem(line, f"{code}: not in the file"))
            continue
        value = rates[code.lower()]
        amount = positive_number(value)
        if amount is None:
            reason = f"{code}: rate {show(value)} is not a positive number"
            parsed.problems.append(RowProblem(line, reason))
            continue
        parsed.records.append(RateRecord(base=base, quote=code, rate=amount, on_date=on_date))
    return parsed


def _file_date(value: object) -> dt.date:
    if value is None:
        raise CollectorError(f'{_SOURCE} has no "date"')
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        raise CollectorError(f"{_SOURCE} has an invalid date {show(value)} (not YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CollectorError(f"{_SOURCE} has an invalid date {show(value)}: {exc}") from exc


def _base_rates(payload: dict[str, object]) -> tuple[str, dict[str, object]]:
    """The base currency (the one key besides "date", upper-cased) and its rates."""
    keys = [key for key in payload if key != "date"]
    if not keys:
        raise CollectorError(f'{_SOURCE} has no base currency object beside "date"')
    if len(keys) > 1:
        named = ", ".join(show(key) for key in keys[:5])
        raise CollectorError(f"{_SOURCE} has {len(keys)} base currency objects ({named})")
    key = keys[0]
    rates = payload[key]
    if not _CODE.fullmatch(key):
        raise CollectorError(f"{_SOURCE} has a base {show(key)} that is not a currency code")
    if not isinstance(rates, dict):
        raise CollectorError(f"{_SOURCE} has {show(key)} but it is not an object of rates")
    return key.upper(), rates


async def collect(client: httpx.AsyncClient, source: Source) -> Collected:
    wanted = CurrencyMapping.model_validate(source.mapping).currencies
    return await fetch_parsed(
        client,
        source,
        expect="json",
        parse=lambda content: parse(content, currencies=wanted),
        into="rates",
    )
