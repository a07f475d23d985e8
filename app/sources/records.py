"""What collectors produce: plain records in the source's own words, mapped to the catalogue
later by the ingester, plus the problems of rows that could not be read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar


class CollectorError(Exception):
    """The payload as a whole is unusable (unreachable, cut off, not the expected format): the
    run fails with this message and nothing from it is imported."""


@dataclass(frozen=True, slots=True)
class PriceRecord:
    key: str  # identifies the row within its source and stays the same on every run
    line: int  # where the row is in the payload (CSV line, table row), for reports
    market: str
    commodity: str
    unit: str
    currency: str
    price: Decimal
    price_type: str  # as the source writes it ("Retail", "wholesale")
    observed_on: dt.date
    variety: str | None = None
    country: str | None = None  # ISO alpha-2, where the payload names it
    # What the source says about the market (admin1, admin2, latitude, longitude), shown to a
    # CDE who maps it and used when a market is created from it.
    market_info: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RateRecord:
    """1 `base` = `rate` `quote` on `on_date`."""

    base: str
    quote: str
    rate: Decimal
    on_date: dt.date


@dataclass(frozen=True, slots=True)
class LeadRecord:
    key: str  # the entry's id, else its link, else a hash of its title and date
    line: int  # position of the entry in the feed, from 1
    title: str
    summary: str
    link: str | None = None
    published: dt.date | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str


R = TypeVar("R")


@dataclass
class Parsed(Generic[R]):
    records: list[R] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
