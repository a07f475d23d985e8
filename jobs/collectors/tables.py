"""Price tables published by ministries and trade portals (CSV files, HTML tables): the column
mapping a CDE stores on the Source, and the row logic both formats share.

A table is either long (one row per price, with columns for market, commodity, unit, price,
date) or wide (one row per item, one column per market, the cells are prices, as in the
Myanmar Market Price Report). The mapping names the source's headers as the source writes them;
what the table does not say (the currency, the date of a monthly report) comes from `defaults`.
Nothing is guessed: a header that is not there fails the run, so a renamed column is noticed
the day it happens instead of being read as something else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

import httpx

from app.sources.models import Source
from app.sources.records import CollectorError, Parsed, PriceRecord, RowProblem
from app.sources.tables import COUNTRY, ISO_DATE, TableMapping, fold_header, parse_date
from app.text.digits import to_ascii_digits
from jobs.collectors.base import Collected, fetch_parsed

# Cells that mean "no price that day": skipped without a problem. `nan` is what pandas writes.
NO_PRICE: Final = frozenset({"", "nan", "-", "–", "—"})

# `Shrimp (1 viss)`, `Rice (Emata) (1 kg)`: the last bracket is the unit.
_UNIT_IN_NAME = re.compile(r"(?P<name>.*?\S)\s*\((?P<unit>[^()]*\S[^()]*)\)")
# Thousands groups must be groups of three: `1,50` in a table without decimal_comma is more
# likely a decimal comma than a hundred and fifty, and is reported instead of read either way.
_POINT_DECIMAL = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_COMMA_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?")


# --- rows -----------------------------------------------------------------------------------


_Add = Callable[[PriceRecord], None]


@dataclass(frozen=True)
class _Plan:
    columns: dict[str, int]  # field -> index of its column
    markets: list[tuple[int, str]]  # wide: index of the column, market as the header says


@dataclass(frozen=True)
class _Item:
    """What a row says apart from the price (and, in a wide table, the market)."""

    commodity: str
    variety: str | None
    unit: str
    currency: str
    price_type: str
    observed_on: dt.date
    country: str | None
    key: str | None  # the key column's value, when the mapping has one


def records_from_rows(
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
    mapping: TableMapping,
    *,
    source_name: str,
) -> Parsed[PriceRecord]:
    """Turn a table's rows, `(line, cells)`, into PriceRecords.

    `source_name` is what the table is called in messages ("the CSV file", "table #2").
    Raises CollectorError when a mapped column is not in the header or the table has no rows;
    a row that cannot be read becomes a RowProblem and the others are kept.
    """
    header = [_clean(h) for h in header]
    plan = _plan(header, mapping, source_name)
    parsed: Parsed[PriceRecord] = Parsed()
    first_line_of: dict[str, int] = {}
    count = 0

    def add(record: PriceRecord) -> None:
        # Two prices under one key would overwrite each other downstream: the first one stands.
        first = first_line_of.setdefault(record.key, record.line)
        if first == record.line:
            parsed.records.append(record)
        else:
            reason = f"a second price for {record.key!r} (the first is on line {first})"
            parsed.problems.append(RowProblem(record.line, reason))

    for line, raw in rows:
        cells = [_clean(c) for c in raw]
        if not any(cells):
            continue
        count += 1
        if len(cells) != len(header):
            parsed.problems.append(
                RowProblem(line, f"{len(cells)} cells where the header has {len(header)}")
            )
            continue
        if mapping.layout == "wide":
            _wide_row(line, cells, plan, mapping, parsed, add)
        else:
            _long_row(line, cells, plan, mapping, parsed, add)
    if count == 0:
        raise CollectorError(f"{source_name} has a header but no rows")
    return parsed


def _plan(header: list[str], mapping: TableMapping, source_name: str) -> _Plan:
    folded = [fold_header(h) for h in header]

    def index_of(name: str) -> int:
        found = [i for i, h in enumerate(folded) if h == fold_header(name)]
        if not found:
            listing = ", ".join(repr(h) for h in header)
            raise CollectorError(
                f"column {name!r} is not in {source_name}; its columns are: {listing}"
            )
        if len(found) > 1:
            raise CollectorError(f"column {name!r} appears {len(found)} times in {source_name}")
        return found[0]

    columns = {field: index_of(name) for field, name in mapping.columns.items()}
    if mapping.layout == "long":
        return _Plan(columns, [])
    if not header:
        raise CollectorError(f"{source_name} has no columns")
    columns.setdefault("commodity", 0)
    if mapping.markets is not None:
        markets = [(index_of(name), name) for name in mapping.markets]
    else:
        ignored = {fold_header(name) for name in mapping.ignore}
        used = set(columns.values())
        markets = [
            (i, h)
            for i, h in enumerate(header)
            if i not in used and h and fold_header(h) not in ignored
        ]
    if not markets:
        raise CollectorError(f"{source_name} has no market columns")
    seen: set[str] = set()
    for _, name in markets:
        if fold_header(name) in seen:
            raise CollectorError(f"market column {name!r} appears twice in {source_name}")
        seen.add(fold_header(name))
    return _Plan(columns, [(i, _clean(name)) for i, name in markets])


def _long_row(
    line: int,
    cells: list[str],
    plan: _Plan,
    mapping: TableMapping,
    parsed: Parsed[PriceRecord],
    add: _Add,
) -> None:
    text = cells[plan.columns["price"]]
    if fold_header(text) in NO_PRICE:
        return
    price = _parse_price(text, mapping.decimal_comma)
    if isinstance(price, str):
        parsed.problems.append(RowProblem(line, price))
        return
    market = _value("market", cells, plan, mapping)
    if market is None:
        parsed.problems.append(RowProblem(line, "no market"))
        return
    item = _item(cells, plan, mapping)
    if isinstance(item, str):
        parsed.problems.append(RowProblem(line, item))
        return
    add(_record(line, market, price, item))


def _wide_row(
    line: int,
    cells: list[str],
    plan: _Plan,
    mapping: TableMapping,
    parsed: Parsed[PriceRecord],
    add: _Add,
) -> None:
    priced = [
        (market, cells[i]) for i, market in plan.markets if fold_header(cells[i]) not in NO_PRICE
    ]
    if not priced:
        return  # nothing that day, or a heading row ("Vegetables")
    item = _item(cells, plan, mapping)
    if isinstance(item, str):
        parsed.problems.append(RowProblem(line, item))
        return
    for market, text in priced:
        price = _parse_price(text, mapping.decimal_comma)
        if isinstance(price, str):
            parsed.problems.append(RowProblem(line, f"{market}: {price}"))
        else:
            add(_record(line, market, price, item))


def _record(line: int, market: str, price: Decimal, item: _Item) -> PriceRecord:
    # Built from what identifies the price, not the price itself, so a corrected price
    # republished under the same row keeps its key.
    key = item.key or "|".join(
        [
            market,
            item.commodity,
            item.variety or "",
            item.unit,
            item.price_type,
            item.observed_on.isoformat(),
        ]
    )
    return PriceRecord(
        key=key,
        line=line,
        market=market,
        commodity=item.commodity,
        unit=item.unit,
        currency=item.currency,
        price=price,
        price_type=item.price_type,
        observed_on=item.observed_on,
        variety=item.variety,
        country=item.country,
    )


def _item(cells: list[str], plan: _Plan, mapping: TableMapping) -> _Item | str:
    """The row's fields other than market and price, or why the row cannot be read."""
    commodity = _value("commodity", cells, plan, mapping)
    if commodity is None:
        return "no commodity"
    unit = None
    if mapping.unit_in_name:
        commodity, unit = split_unit(commodity)
    unit = unit or _value("unit", cells, plan, mapping)
    if unit is None:
        if mapping.unit_in_name:
            return f"no unit: {commodity!r} has none in brackets and there is no unit default"
        return "no unit"
    values: dict[str, str] = {}
    for field in ("currency", "price_type"):
        value = _value(field, cells, plan, mapping)
        if value is None:
            return f"no {field}"
        values[field] = value
    observed_on = _observed_on(cells, plan, mapping)
    if isinstance(observed_on, str):
        return observed_on
    country = _value("country", cells, plan, mapping)
    if country is not None:
        country = country.upper()
        if not COUNTRY.fullmatch(country):
            return f"country {country!r} is not a two-letter ISO code"
    key = None
    if "key" in plan.columns:
        key = cells[plan.columns["key"]]
        if not key:
            return "no key"
    return _Item(
        commodity=commodity,
        variety=_value("variety", cells, plan, mapping),
        unit=unit,
        currency=values["currency"],
        price_type=values["price_type"],
        observed_on=observed_on,
        country=country,
        key=key,
    )


def _value(field: str, cells: list[str], plan: _Plan, mapping: TableMapping) -> str | None:
    if field in plan.columns and cells[plan.columns[field]]:
        return cells[plan.columns[field]]
    return mapping.defaults.get(field)


def _observed_on(cells: list[str], plan: _Plan, mapping: TableMapping) -> dt.date | str:
    if "observed_on" in plan.columns and cells[plan.columns["observed_on"]]:
        text = cells[plan.columns["observed_on"]]
        try:
            return parse_date(text, mapping.date_format or ISO_DATE, "date")
        except ValueError as exc:
            return str(exc)
    # The mapping's validator has checked that the default is there and is a date.
    return parse_date(mapping.defaults["observed_on"], ISO_DATE, "date")


def _parse_price(text: str, decimal_comma: bool) -> Decimal | str:
    """The price in a cell, or why it is not one."""
    compact = to_ascii_digits("".join(text.split()))
    if decimal_comma:
        if not _COMMA_DECIMAL.fullmatch(compact):
            return f"price {text!r} is not a number like 1.234,5"
        compact = compact.replace(".", "").replace(",", ".")
    else:
        if not _POINT_DECIMAL.fullmatch(compact):
            hint = " (a decimal comma? set decimal_comma)" if "," in compact else ""
            return f"price {text!r} is not a number{hint}"
        compact = compact.replace(",", "")
    try:
        price = Decimal(compact)
    except InvalidOperation:  # pragma: no cover - the patterns only let numbers through
        return f"price {text!r} is not a number"
    if price <= 0:
        return f"price {text!r} is not more than 0"
    return price


def split_unit(name: str) -> tuple[str, str | None]:
    """`Shrimp (1 viss)` -> (`Shrimp`, `1 viss`); a name without brackets has no unit."""
    match = _UNIT_IN_NAME.fullmatch(name)
    if match is None:
        return name, None
    return match["name"], _clean(match["unit"])


def _clean(text: str) -> str:
    return " ".join(text.split())


async def fetch_table(
    client: httpx.AsyncClient,
    source: Source,
    *,
    expect: Literal["csv", "html"],
    parse: Callable[[bytes, TableMapping], Parsed[PriceRecord]],
) -> Collected:
    """A table source's collector: its stored mapping, one conditional GET, the rows read."""
    mapping = TableMapping.model_validate(source.mapping)
    return await fetch_parsed(
        client, source, expect=expect, parse=lambda content: parse(content, mapping), into="prices"
    )
