"""Comparing a commodity across markets: every published price converted to one unit and
currency (values worked out by hand below), the exchange rates used named, the prices that
cannot be converted reported with the reason, the staff member's countries enforced, and
nothing pending or rejected shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from app.accounts.models import Role
from app.accounts.service import Staff
from app.core.db import Database
from app.core.errors import Forbidden, InvalidInput
from app.prices import compare
from app.prices.models import Comparison, NotConverted, PriceObservation, PriceType
from tests.prices.comparison_data import TODAY

CDE_MM = Staff(user_id=1, name="thida", role=Role.CDE, countries=frozenset({"MM"}))
CDE_KH = Staff(user_id=2, name="sokha", role=Role.CDE, countries=frozenset({"KH"}))
ADMIN = Staff(user_id=3, name="ana", role=Role.ADMIN, countries=None)


async def compared(database: Database, **asked: Any) -> Comparison:
    async with database.read_session() as session:
        return await compare.compare_markets(session, **asked)


def points(found: Comparison, market: str) -> list[tuple[int, Decimal, bool]]:
    series = next(s for s in found.series if s.market == market)
    return [(p.price_id, p.price, p.converted) for p in series.points]


async def test_prices_are_converted_to_one_unit_and_currency_with_the_rates_named(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await compared(
        database,
        staff=CDE_MM,
        commodity="mango",
        markets=["muse", "Mandalay"],
        unit="kg",
        currency="kyat",
    )
    assert (found.unit, found.currency) == ("kg", "MMK")
    assert [s.market for s in found.series] == ["muse", "mandalay"]
    assert points(found, "muse") == [
        # 12 600 CNY/tonne = 12.6 CNY/kg; on 10 Nov 1 USD = 7.2 CNY = 2 100 MMK, so
        # 1 CNY = 291.666... MMK and 12.6 CNY = 3 675 MMK.
        (price_ids["muse_early"], Decimal("3675.0000"), True),
        # 12 960 CNY/tonne = 12.96 CNY/kg = 1.8 USD; from 20 Nov 1 USD = 2 150 MMK: 3 870 MMK.
        (price_ids["muse_late"], Decimal("3870.0000"), True),
    ]
    assert points(found, "mandalay") == [
        (price_ids["mandalay_early"], Decimal("4000.0000"), True),  # 6 532 MMK / 1.633 kg
        (price_ids["mandalay_late"], Decimal("4200.0000"), True),  # 6 858.6 MMK / 1.633 kg
    ]
    # Each rate a conversion used, as stored: pair, rate, day and who published it.
    assert [(r.id, r.base, r.quote, r.rate, r.on_date, r.source) for r in found.rates] == [
        (price_ids["USD/CNY 1"], "USD", "CNY", Decimal("7.2"), dt.date(2026, 11, 1), "pboc"),
        (price_ids["USD/MMK 1"], "USD", "MMK", Decimal("2100"), dt.date(2026, 11, 1), "cbm"),
        (price_ids["USD/MMK 20"], "USD", "MMK", Decimal("2150"), dt.date(2026, 11, 20), "cbm"),
    ]
    assert (found.observed_from, found.observed_to) == (TODAY - dt.timedelta(days=89), TODAY)
    assert found.clipped is False and found.more_markets == []


async def test_prices_that_cannot_be_converted_are_reported_with_the_reason(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await compared(
        database,
        staff=ADMIN,
        commodity="mango",
        markets=["muse", "mandalay", "phnom-srok"],
        unit="kg",
        currency="MMK",
    )
    assert [(u.price_id, u.market, u.reason) for u in found.unconverted] == [
        (price_ids["muse_piece"], "muse", NotConverted.UNIT),  # a piece has no weight
        (price_ids["mandalay_baht"], "mandalay", NotConverted.RATE),  # no baht rate at all
        (price_ids["phnom_srok"], "phnom-srok", NotConverted.RATE),  # nor any riel rate
    ]
    baht = found.unconverted[1]
    assert (baht.price, baht.currency, baht.unit) == (Decimal("40"), "THB", "kg")
    assert next(s for s in found.series if s.market == "muse").unconverted_price_ids == [
        price_ids["muse_piece"]
    ]
    assert points(found, "phnom-srok") == []
    # Nothing converted needs no rate: kyat per viss into kyat per kg.
    alone = await compared(
        database, staff=ADMIN, commodity="mango", markets=["mandalay"], unit="kg", currency="MMK"
    )
    assert alone.rates == []


async def test_without_a_unit_or_currency_the_most_used_ones_are_chosen(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await compared(database, staff=CDE_MM, commodity="mango", markets=["muse", "mandalay"])
    # Three prices in yuan, two in kyat; two per tonne and two per viss, the viss used last.
    assert (found.unit, found.currency) == ("viss", "CNY")
    assert points(found, "muse")[0] == (
        price_ids["muse_early"],
        Decimal("20.5758"),  # 12.6 CNY/kg × 1.633 kg
        True,
    )
    assert points(found, "mandalay")[0] == (
        price_ids["mandalay_early"],
        Decimal("22.3954"),  # 6 532 MMK × 7.2 / 2 100 = 22.39542... CNY
        True,
    )


async def test_only_published_prices_are_compared(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await compared(
        database, staff=ADMIN, commodity="mango", markets=["muse"], unit="tonne", currency="CNY"
    )
    shown = {price_id for price_id, _, _ in points(found, "muse")}
    assert shown == {price_ids["muse_early"], price_ids["muse_late"]}
    assert price_ids["muse_pending"] not in shown and price_ids["muse_rejected"] not in shown
    assert [p.price for p in found.series[0].points] == [Decimal("12600"), Decimal("12960")]
    assert all(not p.converted for p in found.series[0].points)  # quoted so already
    assert [u.price_id for u in found.unconverted] == [price_ids["muse_piece"]]


async def test_the_default_markets_are_those_of_the_readers_countries_with_prices(
    database: Database, price_ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    mm = await compared(database, staff=CDE_MM, commodity="mango")
    assert [s.market for s in mm.series] == ["mandalay", "muse"]
    kh = await compared(database, staff=CDE_KH, commodity="mango")
    assert [s.market for s in kh.series] == ["phnom-srok"]
    public = await compared(database, staff=None, commodity="mango")  # the public board
    assert [s.market for s in public.series] == ["phnom-srok", "mandalay", "muse"]
    # More markets than a chart keeps apart: those with the most prices, the others named.
    monkeypatch.setattr(compare, "MAX_MARKETS", 2)
    busiest = await compared(database, staff=ADMIN, commodity="mango")
    assert [s.market for s in busiest.series] == ["mandalay", "muse"]
    assert busiest.more_markets == ["phnom-srok"]


async def test_a_market_outside_the_readers_countries_is_refused(
    database: Database, price_ids: dict[str, int]
) -> None:
    with pytest.raises(Forbidden):
        await compared(database, staff=CDE_MM, commodity="mango", markets=["muse", "phnom-srok"])
    with pytest.raises(Forbidden):
        await compared(database, staff=CDE_KH, commodity="mango", markets=["muse"])
    async with database.read_session() as session:
        # The markets a form offers to tick: those of the reader's countries with prices.
        assert await compare.markets_with_prices(session, staff=CDE_KH, commodity="mango") == [
            "phnom-srok"
        ]
        assert await compare.markets_with_prices(session, staff=CDE_MM, commodity="mango") == [
            "mandalay",
            "muse",
        ]
        assert await compare.markets_with_prices(session, staff=None, commodity="fish") == ["muse"]


async def test_the_days_compared_end_today_and_the_whole_series_is_bounded(
    database: Database, price_ids: dict[str, int]
) -> None:
    recent = await compared(
        database,
        staff=CDE_MM,
        commodity="mango",
        markets=["muse"],
        unit="tonne",
        currency="CNY",
        days=5,
    )
    assert recent.observed_from == dt.date(2026, 11, 24)
    assert [p for p, _, _ in points(recent, "muse")] == [price_ids["muse_late"]]
    whole = await compared(database, staff=CDE_MM, commodity="mango", markets=["muse"], days=None)
    assert (whole.observed_from, whole.clipped) == (dt.date(2026, 11, 10), False)
    async with database.session() as session:  # a price from long before: the series is cut
        old = await session.get(PriceObservation, price_ids["muse_early"])
        assert old is not None
        old.observed_on = TODAY - dt.timedelta(days=compare.MAX_DAYS + 30)
        session.add(old)
    cut = await compared(database, staff=CDE_MM, commodity="mango", markets=["muse"], days=None)
    assert cut.clipped is True
    assert cut.observed_from == TODAY - dt.timedelta(days=compare.MAX_DAYS - 1)
    assert price_ids["muse_early"] not in {p for p, _, _ in points(cut, "muse")}


async def test_a_commodity_without_prices_compares_nothing_without_failing(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await compared(database, staff=CDE_MM, commodity="silk")
    assert (found.series, found.unit, found.currency, found.rates) == ([], None, None, [])
    named = await compared(
        database, staff=CDE_MM, commodity="silk", markets=["muse"], unit="kg", currency="MMK"
    )
    assert [(s.market, s.points, s.unit, s.currency) for s in named.series] == [
        ("muse", [], "kg", "MMK")
    ]
    typed = await compared(
        database, staff=CDE_MM, commodity="mango", markets=["muse"], price_type=PriceType.RETAIL
    )
    assert typed.series[0].points == [] and typed.unconverted == []


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        ({"commodity": "durian"}, "unknown commodity"),
        ({"commodity": "mango", "variety": "kent"}, "unknown mango variety"),
        ({"commodity": "mango", "markets": ["atlantis"]}, "unknown market"),
        ({"commodity": "mango", "unit": "bushel"}, "unknown unit"),
        ({"commodity": "mango", "currency": "doubloon"}, "unknown currency"),
        ({"commodity": "mango", "days": 0}, "days is a number from 1"),
        ({"commodity": "mango", "days": compare.MAX_DAYS + 1}, "days is a number from 1"),
        (
            {"commodity": "mango", "markets": ["muse", "mandalay", "yangon-thiri-mingalar"]},
            "at most 2 markets",
        ),
    ],
)
async def test_bad_questions_are_refused_with_what_is_wrong(
    database: Database,
    price_ids: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    asked: dict[str, object],
    says: str,
) -> None:
    monkeypatch.setattr(compare, "MAX_MARKETS", 2)
    with pytest.raises(InvalidInput, match=says):
        await compared(database, staff=CDE_MM, **asked)


@pytest.mark.parametrize(
    ("text", "days"), [("90", 90), (" 7 ", 7), ("ALL", None), ("730", 730), ("၃၀", 30)]
)
def test_days_as_a_form_writes_them(text: str, days: int | None) -> None:
    assert compare.days_of(text) == days


@pytest.mark.parametrize("text", ["-3", "ninety", "", "1e3", "7.5"])
def test_days_that_are_no_number_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="days is a number of days"):
        compare.days_of(text)
