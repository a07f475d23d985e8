"""A market's board: the newest published price of every series sold there, with the change
since the one before, its day and source, old prices marked as producers read them, and the
staff member's countries enforced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.accounts.service import Staff
from app.core.db import Database
from app.core.errors import Forbidden, InvalidInput
from app.prices.board import market_board
from app.prices.models import MarketBoard
from app.prices.reads import latest_prices
from app.prices.stale import FRESH_DAYS
from tests.prices.comparison_data import TODAY
from tests.prices.test_compare import ADMIN, CDE_KH, CDE_MM


async def board(database: Database, market: str, staff: Staff | None = CDE_MM) -> MarketBoard:
    async with database.read_session() as session:
        return await market_board(session, market=market, staff=staff)


async def test_the_board_has_the_newest_price_of_each_series_with_its_change(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await board(database, "Muse")
    assert (found.market, found.country, found.today, found.fresh_days) == (
        "muse",
        "MM",
        TODAY,
        FRESH_DAYS,
    )
    rows = [
        (r.commodity, r.variety, r.price_type, r.unit, r.currency, r.latest.id, r.old)
        for r in found.rows
    ]
    assert rows == [
        ("fish", None, "wholesale", "viss", "MMK", price_ids["muse_fish"], True),  # 27 days old
        ("mango", None, "border", "piece", "CNY", price_ids["muse_piece"], False),  # 13 days
        ("mango", "sein-ta-lone", "border", "tonne", "CNY", price_ids["muse_late"], False),
    ]
    mango = found.rows[2]
    # The pending and the rejected price of 26 and 27 November are no one's latest.
    assert mango.previous is not None and mango.previous.id == price_ids["muse_early"]
    assert mango.change_percent == Decimal("2.9")  # 12 600 to 12 960: +2.857...%
    assert (mango.latest.observed_on, mango.latest.source) == (dt.date(2026, 11, 25), "api")
    assert found.rows[0].previous is None and found.rows[0].change_percent is None


async def test_latest_prices_of_one_commodity_are_the_boards_rows(
    database: Database, price_ids: dict[str, int]
) -> None:
    found = await board(database, "muse")
    async with database.read_session() as session:
        mango = await latest_prices(session, staff=CDE_MM, commodity="mango", market="muse")
    assert [r.latest.id for r in mango] == [r.latest.id for r in found.rows[1:]]


async def test_a_board_is_shown_to_the_markets_country_and_the_public_only(
    database: Database, price_ids: dict[str, int]
) -> None:
    with pytest.raises(Forbidden):
        await board(database, "muse", staff=CDE_KH)
    public = await board(database, "phnom-srok", staff=None)
    assert [r.latest.id for r in public.rows] == [price_ids["phnom_srok"]]
    assert (await board(database, "phnom-srok", staff=ADMIN)).rows == public.rows
    empty = await board(database, "pyapon")
    assert empty.rows == []
    with pytest.raises(InvalidInput, match="unknown market"):
        await board(database, "atlantis")
