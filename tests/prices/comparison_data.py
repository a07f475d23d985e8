"""Mango at Muse (yuan per tonne), Mandalay (kyat per viss) and Phnom Srok (riel per kg), with
the exchange rates that compare the first two, prices no rate or weight can convert, and
pending and rejected prices that no read may show: what the comparison and board tests read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.catalogue.service import load_index
from app.core.db import Database
from app.prices.models import FxRate, PriceObservation, PriceStatus, PriceType

# Yangon's and Phnom Penh's 28 November 2026, late morning.
NOW = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 28)

# Name, commodity, variety (- for none), market, price, currency, unit, price type, day of
# November 2026, status; inserted in this order, which the tie-breaks read.
PRICES = """
muse_early      mango  sein-ta-lone  muse        12600   CNY  tonne  border     10  published
mandalay_early  mango  sein-ta-lone  mandalay    6532    MMK  viss   wholesale  10  published
mandalay_baht   mango  sein-ta-lone  mandalay    40      THB  kg     wholesale  12  published
muse_piece      mango  -             muse        3       CNY  piece  border     15  published
phnom_srok      mango  -             phnom-srok  3000    KHR  kg     wholesale  20  published
muse_late       mango  sein-ta-lone  muse        12960   CNY  tonne  border     25  published
mandalay_late   mango  sein-ta-lone  mandalay    6858.6  MMK  viss   wholesale  25  published
muse_pending    mango  sein-ta-lone  muse        99999   CNY  tonne  border     26  pending
muse_rejected   mango  sein-ta-lone  muse        5       CNY  tonne  border     27  rejected
muse_fish       fish   -             muse        18000   MMK  viss   wholesale  1   published
"""
# Base, quote, rate, day of November 2026, source.
RATES = """
USD  MMK  2100  1   cbm
USD  CNY  7.2   1   pboc
USD  MMK  2150  20  cbm
"""


async def add_prices(database: Database) -> dict[str, int]:
    """The prices and rates above; returns the prices' ids by name and the rates' by pair and
    day ("USD/MMK 20")."""
    prices: dict[str, PriceObservation] = {}
    rates: dict[str, FxRate] = {}
    async with database.session() as s:
        index = await load_index(s)
        for line in PRICES.strip().splitlines():
            name, commodity, variety, market, price, currency, unit, kind, day, status = (
                line.split()
            )
            c, m = index.commodity(commodity), index.market(market)
            prices[name] = PriceObservation(
                commodity_id=c.id or 0,
                variety_id=index.variety(c, variety).id if variety != "-" else None,
                market_id=m.id or 0,
                country_code=m.country_code,
                price=Decimal(price),
                currency=currency,
                unit_id=index.unit(unit).id or 0,
                price_type=PriceType(kind),
                observed_on=dt.date(2026, 11, int(day)),
                status=PriceStatus(status),
                created_by="thida",
            )
            s.add(prices[name])
            await s.flush()  # one at a time: ids in the order above
        for line in RATES.strip().splitlines():
            base, quote, rate, day, source = line.split()
            rates[f"{base}/{quote} {day}"] = FxRate(
                base=base,
                quote=quote,
                rate=Decimal(rate),
                on_date=dt.date(2026, 11, int(day)),
                source=source,
            )
            s.add(rates[f"{base}/{quote} {day}"])
        await s.flush()
        return {name: row.id or 0 for name, row in (prices | rates).items()}
