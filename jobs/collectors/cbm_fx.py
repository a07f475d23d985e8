"""Central Bank of Myanmar reference rates (forex.cbm.gov.mm/api, `/latest` and
`/history/DD-MM-YYYY`) as RateRecords: 1 unit of a currency = `rate` MMK.

The API writes every rate as a string with thousands commas ("1,850.0") and, like the bank's
own rate table, quotes JPY, KHR, IDR, KRW, LAK and VND per 100 units; those are divided here so
that every record means one unit. The timestamp is Unix seconds and the rates are the bank's
for that day in Myanmar, so the day is taken in Asia/Yangon (a 00:00 UTC timestamp is already
06:30 there). Some copies of the payload carry an `"MMK": "1"` entry for the kyat itself; it
says nothing and is skipped.

One bad rate (a "0" or "N/A" the bank sometimes shows for a currency it did not fix that day)
is a row problem and the other rates are kept; a payload that is not the API's JSON at all is a
CollectorError.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import httpx

from app.core import clock
from app.sources.mappings import CbmMapping
from app.sources.models import Source
from app.sources.records import CollectorError, Parsed, RateRecord, RowProblem
from jobs.collectors.base import Collected, fetch_parsed
from jobs.collectors.http import fetch
from jobs.collectors.payloads import load_json_object, positive_number, show

BASE_URL = "https://forex.cbm.gov.mm/api"
QUOTE = "MMK"
# Quoted per 100 units by the bank.
PER_100 = frozenset({"JPY", "KHR", "IDR", "KRW", "LAK", "VND"})
# The bank fixes its rates for the day in Myanmar.
YANGON = "Asia/Yangon"

# A day's rates are published that day; a timestamp further ahead than this comes from a
# broken clock or a broken payload, and storing it would shadow the real rates of that day.
_FUTURE_SLACK = dt.timedelta(days=1)
_CODE = re.compile(r"[A-Za-z]{3}")
_SOURCE = "the CBM response"


def latest_url(base: str = BASE_URL) -> str:
    return f"{base.rstrip('/')}/latest"


def history_url(day: dt.date, base: str = BASE_URL) -> str:
    return f"{base.rstrip('/')}/history/{day:%d-%m-%Y}"


def parse(content: bytes) -> Parsed[RateRecord]:
    payload = load_json_object(content, _SOURCE)
    on_date = _rate_day(payload.get("timestamp"))
    rates = payload.get("rates")
    if not isinstance(rates, dict) or not rates:
        raise CollectorError(f'{_SOURCE} has no rates ("rates" is {show(rates)})')
    parsed: Parsed[RateRecord] = Parsed()
    for line, (code, value) in enumerate(rates.items(), start=1):
        if not _CODE.fullmatch(code):
            reason = f"currency code {show(code)} is not 3 letters (rate {show(value)})"
            parsed.problems.append(RowProblem(line, reason))
            continue
        code = code.upper()
        if code == QUOTE:
            continue
        amount = positive_number(value, thousands=True)
        if amount is None:
            reason = f"{code}: rate {show(value)} is not a positive number"
            parsed.problems.append(RowProblem(line, reason))
            continue
        if code in PER_100:
            amount = amount.scaleb(-2)
        parsed.records.append(RateRecord(base=code, quote=QUOTE, rate=amount, on_date=on_date))
    return parsed


def _rate_day(value: object) -> dt.date:
    """The day in Myanmar of the payload's timestamp: Unix seconds as a number or a string."""
    if value is None:
        raise CollectorError(f'{_SOURCE} has no "timestamp"')
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        seconds = int(value.strip())
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        seconds = int(value)
    if seconds is None or seconds <= 0:
        raise CollectorError(f"{_SOURCE} has an invalid timestamp {show(value)}")
    try:
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise CollectorError(f"{_SOURCE} has an invalid timestamp {show(value)}") from exc
    if moment > clock.utcnow() + _FUTURE_SLACK:
        raise CollectorError(
            f"{_SOURCE} has a timestamp in the future: {seconds} is {moment:%Y-%m-%d %H:%M} UTC"
        )
    return clock.local_date(moment, YANGON)


async def collect(client: httpx.AsyncClient, source: Source) -> Collected:
    """Today's rates from the source's `/latest` URL; with `history_days` in the mapping, also
    the days before through `/history/DD-MM-YYYY`, to fill days a run missed. A day the bank
    published nothing for (a holiday) is a problem line, not a failed run."""
    collected = await fetch_parsed(client, source, expect="json", parse=parse, into="rates")
    days = CbmMapping.model_validate(source.mapping).history_days
    if not days:
        return collected
    base = source.url.rstrip("/").removesuffix("/latest")
    today = clock.today(YANGON)
    for back in range(1, days + 1):
        day = today - dt.timedelta(days=back)
        try:
            answer = await fetch(client, history_url(day, base), expect="json")
            assert answer.content is not None
            parsed = parse(answer.content)
        except CollectorError as exc:
            collected.problems.append(RowProblem(0, f"history of {day}: {exc}"))
            continue
        collected.rates.extend(parsed.records)
        collected.problems.extend(RowProblem(0, f"{day}: {p.reason}") for p in parsed.problems)
    return collected
