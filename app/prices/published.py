"""Published prices for anyone to download: the open data's rows, the columns they hold and what
each means (the data dictionary), and the bounds every request is held to.

Only published prices, and of each only what a market bulletin would print: no staff names, no
notes or reasons, nothing of how it was reviewed. A request covers a bounded date range and
returns at most one page; a longer download follows the pages, so no request scans without
bound."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import (
    CatalogueIndex,
    check_country,
    display_names,
    load_index,
    pick_name,
)
from app.core import clock
from app.core.errors import InvalidInput
from app.prices import reads
from app.prices.models import PriceObservation, PriceStatus, PriceType

MAX_PAGE = 1000
DEFAULT_PAGE = 500
DEFAULT_DAYS = 31
MAX_DAYS = 366
# What the `source` column says of prices that no configured source delivered.
MIC_SOURCE = "MIC"
FIELD_REPORT_SOURCE = "MIC field reporter"


class OpenPrice(BaseModel):
    """One published price. The names and order of these fields are the CSV file's columns;
    they only ever grow, at the end."""

    observed_on: dt.date = Field(
        description="The day the price was observed, on the market's own calendar (YYYY-MM-DD).",
        examples=["2026-11-26"],
    )
    country: str = Field(
        description="The market's country, as an ISO 3166-1 alpha-2 code (MM, KH, LA, VN).",
        examples=["MM"],
    )
    market: str = Field(
        description="The market's slug: a stable identifier, the value the market filter takes.",
        examples=["muse"],
    )
    market_name: str = Field(description="The market's name in English.", examples=["Muse"])
    commodity: str = Field(
        description="The commodity's slug (mango, fish, silk, tea...), the value the commodity "
        "filter takes.",
        examples=["mango"],
    )
    variety: str | None = Field(
        description="The variety's slug within its commodity; empty (null in JSON) when the "
        "price is for the commodity as a whole.",
        examples=["sein-ta-lone"],
    )
    price: str = Field(
        description="The price in `currency` per `unit`: a decimal number with a point and no "
        "thousands separator.",
        examples=["12600"],
        json_schema_extra={"format": "decimal"},
    )
    currency: str = Field(
        description="The currency of the price, as an ISO 4217 code (MMK, KHR, LAK, VND, CNY, "
        "THB, USD...): a border price may be quoted in a neighbour's currency.",
        examples=["CNY"],
    )
    unit: str = Field(
        description="The unit the price is per: kg, viss (1.633 kg), tonne, basket (16 kg), "
        "piece, or another unit of the catalogue.",
        examples=["tonne"],
    )
    price_type: PriceType = Field(
        description="Which price: farmgate (paid to the producer), wholesale, retail, border "
        "(at a border crossing) or export.",
        examples=["border"],
    )
    source: str = Field(
        description=f"Who collected it: the name of the data source it was imported from, "
        f"`{MIC_SOURCE}` for a price a MIC market officer entered, or `{FIELD_REPORT_SOURCE}` "
        "for one a field reporter sent by SMS or Telegram.",
        examples=["WFP food prices, Myanmar"],
    )
    published_at: dt.datetime = Field(
        description="When MIC published the price (ISO 8601, UTC).",
        examples=["2026-11-26T09:12:00Z"],
    )
    id: int = Field(
        description="MIC's number for the price: unique and stable. Downloads list prices by "
        "this number, highest (newest) first.",
        examples=[4211],
    )


COLUMNS: tuple[str, ...] = tuple(OpenPrice.model_fields)


class DictionaryEntry(BaseModel):
    name: str = Field(description="The column's name in the CSV file and the field's in JSON.")
    type: str = Field(description="date, timestamp, text, decimal or integer.")
    required: bool = Field(description="false: the value may be empty (null in JSON).")
    description: str
    example: str
    values: list[str] | None = Field(
        default=None, description="The only values the column takes, when it is a closed list."
    )


_TYPE_NAMES = {"date": "date", "date-time": "timestamp", "decimal": "decimal"}


def dictionary() -> list[DictionaryEntry]:
    """The data dictionary, read from OpenPrice itself so that it cannot describe other columns
    than the downloads hold."""
    schema = OpenPrice.model_json_schema(mode="serialization")
    definitions = schema.get("$defs", {})
    entries = []
    for name in COLUMNS:
        field = schema["properties"][name]
        options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
        shape = options[0]
        if "$ref" in shape:
            shape = definitions[shape["$ref"].rsplit("/", 1)[1]]
        kind = _TYPE_NAMES.get(shape.get("format", field.get("format", "")), "")
        kind = kind or ("integer" if shape.get("type") == "integer" else "text")
        entries.append(
            DictionaryEntry(
                name=name,
                type=kind,
                required=len(options) == len(field.get("anyOf", [field])),
                description=field["description"],
                example=str(field["examples"][0]),
                values=shape.get("enum"),
            )
        )
    return entries


class SourceNames(Protocol):
    """The names of configured sources by id (app.sources holds them; the caller passes it)."""

    async def __call__(self, session: AsyncSession, ids: Collection[int]) -> Mapping[int, str]: ...


@dataclass(frozen=True)
class PublicFilter:
    """What anyone may select by. Names are slugs or any name the catalogue knows."""

    country: str | None = None
    market: str | None = None
    commodity: str | None = None
    variety: str | None = None
    observed_from: dt.date | None = None
    observed_to: dt.date | None = None


@dataclass(frozen=True)
class PublishedPage:
    items: list[OpenPrice]
    next_cursor: int | None
    observed_from: dt.date
    observed_to: dt.date
    # The latest change to a price of this page, for Last-Modified.
    last_modified: dt.datetime | None


def date_range(
    observed_from: dt.date | None, observed_to: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The days a request covers: as asked, or the last DEFAULT_DAYS; never more than MAX_DAYS,
    so that every request reads a bounded slice of the prices however it is paged."""
    # No market's calendar runs more than a day ahead of UTC, and no price is dated later than
    # its market's today: the day after UTC's today is the last one that may hold prices.
    last = observed_to or clock.utcnow().date() + dt.timedelta(days=1)
    # The calendar begins at 0001-01-01: a default range ending near it starts there.
    earliest = dt.date.min + dt.timedelta(days=DEFAULT_DAYS - 1)
    first = observed_from or (
        last - dt.timedelta(days=DEFAULT_DAYS - 1) if last >= earliest else dt.date.min
    )
    if first > last:
        raise InvalidInput(
            f"from ({first.isoformat()}) is after to ({last.isoformat()}); "
            "give the earlier day as from"
        )
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidInput(
            f"from {first.isoformat()} to {last.isoformat()} is {days} days; a request covers "
            f"at most {MAX_DAYS}: ask for one year at a time"
        )
    return first, last


async def published_prices(
    session: AsyncSession,
    *,
    filters: PublicFilter,
    source_names: SourceNames,
    cursor: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> PublishedPage:
    """One page of the published prices the filters select, highest id first; `next_cursor`
    continues it. Unknown names and bad ranges are refused with the reason."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    first, last = date_range(filters.observed_from, filters.observed_to)
    index = await load_index(session)
    query = (
        select(PriceObservation)
        .where(PriceObservation.status == PriceStatus.PUBLISHED)
        .order_by(col(PriceObservation.id).desc())
        .limit(limit + 1)
    )
    if filters.country:
        country = await check_country(session, filters.country)
        query = query.where(PriceObservation.country_code == country)
    chosen = reads.PriceFilter(
        commodity=filters.commodity,
        variety=filters.variety,
        market=filters.market,
        observed_from=first,
        observed_to=last,
    )
    query = reads.filtered(query, index, chosen)
    if cursor is not None:
        query = query.where(col(PriceObservation.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = await _open_prices(session, rows, index, source_names)
    return PublishedPage(
        items=items,
        next_cursor=rows[-1].id if more and rows else None,
        observed_from=first,
        observed_to=last,
        last_modified=max((p.updated_at for p in rows), default=None),
    )


def plain_decimal(value: Decimal) -> str:
    """12600.0000 as 12600 and 0.1250 as 0.125: no exponent, no trailing zeros."""
    return format(Decimal(value).normalize(), "f")


async def _open_prices(
    session: AsyncSession,
    rows: Sequence[PriceObservation],
    index: CatalogueIndex,
    source_names: SourceNames,
) -> list[OpenPrice]:
    if not rows:
        return []
    markets = {p.market_id for p in rows}
    english = await display_names(session, "market_id", markets)
    sources = await source_names(session, {p.source_id for p in rows if p.source_id})
    return [
        OpenPrice(
            observed_on=p.observed_on,
            country=p.country_code,
            market=index.market_by_id[p.market_id].slug,
            market_name=pick_name(english[p.market_id], "en", index.market_by_id[p.market_id].name),
            commodity=index.commodity_by_id[p.commodity_id].slug,
            variety=index.variety_by_id[p.variety_id].slug if p.variety_id else None,
            price=plain_decimal(p.price),
            currency=p.currency,
            unit=index.unit_by_id[p.unit_id].code,
            price_type=p.price_type,
            source=_source_name(p, sources),
            published_at=p.reviewed_at or p.updated_at,
            id=p.id or 0,
        )
        for p in rows
    ]


def _source_name(price: PriceObservation, sources: Mapping[int, str]) -> str:
    if price.source_id is not None and price.source_id in sources:
        return sources[price.source_id]
    return FIELD_REPORT_SOURCE if reads.is_field_report(price) else MIC_SOURCE


async def source_labels(
    session: AsyncSession, price_ids: Collection[int], source_names: SourceNames
) -> dict[int, str]:
    """What the `source` column says of each of these published prices, by id: the board shows
    where a price came from in the same words as the downloads."""
    if not price_ids:
        return {}
    rows = (
        await session.exec(
            select(PriceObservation).where(
                col(PriceObservation.id).in_(sorted(price_ids)),
                PriceObservation.status == PriceStatus.PUBLISHED,
            )
        )
    ).all()
    sources = await source_names(session, {p.source_id for p in rows if p.source_id})
    return {p.id or 0: _source_name(p, sources) for p in rows}
