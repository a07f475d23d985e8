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


async def test_a_book_since_a_date_holds_exactly_the_whole_books_rates_from_then_on(
    database: Database,
) -> None:
    """Per pair: the rate in force on `since` (the last loaded of its date when two sources
    published that day) and every later one up to `until`; pairs of other currencies not at all.
    Many bases and quotes, so that every pair is found however the pairs are read."""
    since, until = START + dt.timedelta(days=30), START + dt.timedelta(days=40)
    published: list[tuple[str, str, int, int | Decimal, str]] = [
        # (base, quote, days after START, rate, source)
        *(("USD", "MMK", day, 2000 + day, "cbm") for day in range(0, 45, 2)),
        ("USD", "MMK", 30, 2100, "market"),  # a second source on the day in force
        ("USD", "MMK", 30, 2101, "street"),
        ("USD", "KHR", -400, 4100, "nbc"),  # long ago, still in force
        ("CNY", "USD", 35, Decimal("0.14"), "pboc"),  # nothing in force yet on `since`
        ("CNY", "USD", 50, Decimal("0.15"), "pboc"),  # after `until`
        ("AUD", "THB", 10, 24, "bot"),  # neither currency wanted
        ("EUR", "USD", 10, Decimal("1.1"), "ecb"),
        ("EUR", "USD", 29, Decimal("1.2"), "ecb"),
        ("LAK", "THB", 31, Decimal("0.0016"), "bol"),
        ("THB", "LAK", 5, 600, "bol"),
        ("VND", "AUD", 1, Decimal("0.00006"), "sbv"),
    ]
    async with database.session() as s:
        for base, quote, day, rate, source in published:
            s.add(
                FxRate(
                    base=base,
                    quote=quote,
                    rate=Decimal(rate),
                    on_date=START + dt.timedelta(days=day),
                    source=source,
                )
            )
    currencies = {"MMK", "KHR", "CNY", "LAK"}
    async with database.session() as s:
        whole = await FxBook.load(s, currencies, until)
        recent = await FxBook.load(s, currencies, until, since=since)
    expected: dict[tuple[str, str], dict[dt.date, Decimal]] = {}
    for pair, rates in whole._rates.items():
        in_force = max((day for day in rates if day <= since), default=None)
        expected[pair] = {
            day: rate
            for day, rate in rates.items()
            if day > since or (in_force is not None and day == in_force)
        }
    assert recent._rates == {pair: rates for pair, rates in expected.items() if rates}
    assert recent._rates[("USD", "MMK")][since] == Decimal(2101)
    assert set(recent._rates) == {
        ("USD", "MMK"),
        ("USD", "KHR"),
        ("CNY", "USD"),
        ("EUR", "USD"),
        ("LAK", "THB"),
        ("THB", "LAK"),
    }


async def test_a_book_since_a_date_of_no_rates_is_empty(database: Database) -> None:
    async with database.session() as s:
        book = await FxBook.load(s, {"MMK"}, START, since=START)
    assert book._rates == {}
