"""Price observations and exchange rates, with their request and response shapes."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, JsonValue, StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from app.core import clock
from app.core.db import UTCDateTime, enum_column
from app.core.inputs import CaseInsensitiveEnum, StrictInput
from app.core.patch import Omittable
from app.prices import currencies
from app.prices.currencies import CurrencyCode

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class PriceType(CaseInsensitiveEnum):
    FARMGATE = "farmgate"
    WHOLESALE = "wholesale"
    RETAIL = "retail"
    BORDER = "border"
    EXPORT = "export"


class NotConverted(enum.StrEnum):
    """Why a price cannot be shown in another unit and currency."""

    UNIT = "unit"  # its unit or the other has no weight in kg (a piece)
    RATE = "rate"  # no exchange rate between the two currencies in force on its date


class PriceStatus(CaseInsensitiveEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class PriceObservation(SQLModel, table=True):
    """One price as observed: stored in its own unit and currency, never converted in place."""

    __tablename__ = "price_observation"
    __table_args__ = (
        sa.Index(
            "ix_price_series", "commodity_id", "market_id", "variety_id", "status", "observed_on"
        ),
        # app.prices.reads.latest_series: a market's series in order, each one's newest last,
        # so the boards find every series and its newest prices without reading the rest.
        sa.Index(
            "ix_price_latest",
            "status",
            "market_id",
            "commodity_id",
            "variety_id",
            "price_type",
            "unit_id",
            "currency",
            "observed_on",
            "id",
        ),
        sa.CheckConstraint("price > 0", name="price_positive"),
        # app.prices.duplicates: an unkeyed observation is stored once (a missing variety
        # counts as one value, not as NULLs that never collide).
        sa.Index(
            "uq_price_observation_exact",
            "commodity_id",
            sa.text("coalesce(variety_id, 0)"),
            "market_id",
            "unit_id",
            "currency",
            "price_type",
            "observed_on",
            "price",
            "source",
            "created_by",
            unique=True,
            sqlite_where=sa.text("external_key IS NULL"),
            postgresql_where=sa.text("external_key IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    commodity_id: int = Field(foreign_key="commodity.id")
    variety_id: int | None = Field(default=None, foreign_key="variety.id")
    market_id: int = Field(foreign_key="market.id")
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    price: Decimal = Field(sa_type=sa.Numeric(18, 4))
    price_min: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    price_max: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    currency: str = Field(max_length=3)
    unit_id: int = Field(foreign_key="unit.id")
    price_type: PriceType = Field(sa_column=enum_column(PriceType, nullable=False))
    observed_on: dt.date
    status: PriceStatus = Field(
        default=PriceStatus.PENDING, sa_column=enum_column(PriceStatus, nullable=False, index=True)
    )
    outlier: bool = False
    source: str = Field(default="api", max_length=64)
    created_by: str = Field(max_length=120)
    reviewed_by: str | None = Field(default=None, max_length=120)
    reviewed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=500)
    external_key: str | None = Field(default=None, max_length=200, unique=True)
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True)
    # The value as its source last delivered it: an upstream correction is a change of this,
    # while a CDE's own correction of `price` is not undone by the next run.
    upstream_price: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 4))
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class SeriesWatch(SQLModel, table=True):
    """A series a CDE follows: without a published price for `max_age_days` it is stale."""

    __tablename__ = "series_watch"
    __table_args__ = (sa.UniqueConstraint("commodity_id", "market_id"),)

    id: int | None = Field(default=None, primary_key=True)
    commodity_id: int = Field(foreign_key="commodity.id")
    market_id: int = Field(foreign_key="market.id")
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    max_age_days: int
    created_by: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


class FxRate(SQLModel, table=True):
    """1 `base` = `rate` `quote` on `on_date`, as published by `source`."""

    __tablename__ = "fx_rate"
    __table_args__ = (sa.UniqueConstraint("base", "quote", "on_date", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    base: str = Field(max_length=3)
    quote: str = Field(max_length=3)
    rate: Decimal = Field(sa_type=sa.Numeric(24, 10))
    on_date: dt.date = Field(index=True)
    source: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=clock.utcnow, sa_type=UTCDateTime)


# --- requests -----------------------------------------------------------------------------------

_PRICE_EXAMPLE: dict[str, JsonValue] = {
    "commodity": "mango",
    "variety": "sein-ta-lone",
    "market": "muse",
    "price": "12600",
    "currency": "CNY",
    "unit": "tonne",
    "price_type": "border",
    "observed_on": "2026-11-27",
    "note": "Chinese buyers at the 105th Mile gate, morning",
}


class PriceIn(StrictInput):
    """A price as a CDE or a collector submits it; names may be slugs or any alias."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PRICE_EXAMPLE]})

    commodity: Text
    variety: Text | None = None
    market: Text
    price: Decimal
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: Annotated[CurrencyCode, StringConstraints(max_length=currencies.MAX_CHARS)]
    unit: Text
    price_type: PriceType
    observed_on: dt.date
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class PriceCreate(PriceIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_PRICE_EXAMPLE, "publish": True}]})

    publish: bool = False
    confirm_outlier: bool = False


class PriceUpdate(StrictInput):
    """A correction: only the fields given change; the audit log keeps what they were."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"price": "12400", "note": "typo"}]})

    price: Omittable[Decimal] = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: Omittable[
        Annotated[CurrencyCode, StringConstraints(max_length=currencies.MAX_CHARS)]
    ] = None
    unit: Omittable[Text] = None
    price_type: Omittable[PriceType] = None
    observed_on: Omittable[dt.date] = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    confirm_outlier: bool = False


class PublishRequest(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"confirm_outlier": False}]})

    confirm_outlier: bool = False


class RejectRequest(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Reporter confused viss and kg"}]}
    )

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class FxRateIn(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "base": "USD",
                    "quote": "MMK",
                    "rate": "2100",
                    "on_date": "2026-11-27",
                    "source": "cbm",
                }
            ]
        }
    )

    base: Annotated[CurrencyCode, StringConstraints(max_length=currencies.MAX_CHARS)]
    quote: Annotated[CurrencyCode, StringConstraints(max_length=currencies.MAX_CHARS)]
    rate: Decimal
    on_date: dt.date
    source: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ] = "manual"

    @field_validator("rate")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError("a rate must be a positive number")
        return value


# --- responses ----------------------------------------------------------------------------------


class Equivalents(SQLModel):
    """The price in other terms, derived with the unit's kg factor and the FX rate in force."""

    per_kg: Decimal | None = None  # original currency per kilogram
    usd: Decimal | None = None  # per original unit
    usd_per_kg: Decimal | None = None
    local_currency: str | None = None  # the market country's currency
    local: Decimal | None = None
    local_per_kg: Decimal | None = None
    fx_date: dt.date | None = None  # the date of the oldest rate used: how fresh the conversion is


class PricePublic(SQLModel):
    id: int
    commodity: str
    variety: str | None
    market: str
    country: str
    price: Decimal
    price_min: Decimal | None
    price_max: Decimal | None
    currency: str
    unit: str
    price_type: PriceType
    observed_on: dt.date
    status: PriceStatus
    outlier: bool
    source: str
    created_by: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    reject_reason: str | None
    note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    equivalents: Equivalents


class LatestPrice(SQLModel):
    """The newest published price of one series, with the one before it."""

    variety: str | None
    price_type: PriceType
    unit: str
    currency: str
    latest: PricePublic
    previous: PricePublic | None
    change_percent: Decimal | None


class SeriesPoint(SQLModel):
    observed_on: dt.date
    price: Decimal  # in the series' unit and currency
    price_id: int
    variety: str | None
    price_type: PriceType
    converted: bool  # quoted in another unit or currency, converted for this series


class Series(SQLModel):
    commodity: str
    variety: str | None  # null: every variety of the commodity
    market: str
    unit: str | None  # null only when there is no price at all
    currency: str | None
    price_type: PriceType | None
    points: list[SeriesPoint]
    # Prices that cannot be shown in this unit and currency (no kg factor, no exchange rate).
    unconverted_price_ids: list[int] = Field(default_factory=list)


class FxRatePublic(SQLModel):
    id: int
    base: str
    quote: str
    rate: Decimal
    on_date: dt.date
    source: str


class Unconvertible(SQLModel):
    """A published price that cannot be shown in a comparison's unit and currency, and why."""

    price_id: int
    market: str
    observed_on: dt.date
    price: Decimal
    currency: str
    unit: str
    reason: NotConverted


class Comparison(SQLModel):
    """One commodity at several markets over the same days, every price in one unit and
    currency, with the exchange rates that made them comparable."""

    commodity: str
    variety: str | None  # null: every variety of the commodity
    price_type: PriceType | None  # null: every price type
    unit: str | None  # null only when there is no price at all
    currency: str | None
    observed_from: dt.date
    observed_to: dt.date
    # The whole series was asked for and it reaches back further than a comparison shows.
    clipped: bool
    series: list[Series]  # one per market
    # Markets with prices in these days that were left out, when no market was named.
    more_markets: list[str]
    rates: list[FxRatePublic]  # every exchange rate a converted price was converted with
    unconverted: list[Unconvertible]


class BoardRow(LatestPrice):
    commodity: str
    # Older than producers' answers call fresh (app.prices.stale.FRESH_DAYS), in the market's
    # today: they read it marked as old.
    old: bool


class MarketBoard(SQLModel):
    """The newest published price of every series at one market."""

    market: str
    country: str
    today: dt.date  # the market's today, by which a price is old
    fresh_days: int
    rows: list[BoardRow]


class WatchCreate(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"commodity": "mango", "market": "muse", "max_age_days": 7}]
        }
    )

    commodity: Text
    market: Text
    max_age_days: Annotated[int, Field(ge=1, le=366)]


class WatchPublic(SQLModel):
    id: int
    commodity: str
    market: str
    country: str
    max_age_days: int


class StaleSeries(WatchPublic):
    last_published: dt.date | None  # null: never
    stale: bool


class SilentSeries(SQLModel):
    """A published series nobody watches whose newest price is old."""

    commodity: str
    market: str
    country: str
    last_published: dt.date
    days: int  # since the last published price, in the market country's today
