"""The column mapping a CDE stores on a CSV or HTML-table source, checked when it is saved.

A table is either long (one row per price, with columns for market, commodity, unit, price,
date) or wide (one row per item, one column per market, the cells are prices, as in the
Myanmar Market Price Report). The mapping names the source's headers as the source writes them;
what the table does not say (the currency, the date of a monthly report) comes from `defaults`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final, Literal

from pydantic import Field, model_validator

from app.core.inputs import StrictInput
from app.text.digits import to_ascii_digits

FIELDS: Final = (
    "market",
    "commodity",
    "variety",
    "unit",
    "price",
    "currency",
    "price_type",
    "observed_on",
    "country",
    "key",
)
# What every record needs, by column or by default.
REQUIRED: Final = ("market", "commodity", "unit", "price", "currency", "price_type", "observed_on")
# A default price or key would be the same on every row.
NO_DEFAULT: Final = frozenset({"price", "key"})
# In a wide table the markets are the headers and the prices are the cells; a key column could
# not tell the markets of one row apart.
NOT_IN_WIDE: Final = frozenset({"market", "price", "key"})

ISO_DATE: Final = "%Y-%m-%d"
COUNTRY = re.compile(r"[A-Z]{2}")


class TableMapping(StrictInput):
    """How the columns of one source's table become PriceRecords (stored on the Source as JSON).

    `columns` maps our field to the source's header text (matched ignoring case and runs of
    spaces). A field without a column, or whose cell is empty, takes its value from `defaults`.
    """

    layout: Literal["long", "wide"] = "long"
    columns: dict[str, str] = Field(default_factory=dict)
    # Wide only: the market columns. By default every column that no field uses, that is not in
    # `ignore` and that has a header.
    markets: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)
    unit_in_name: bool = False  # `Shrimp (1 viss)` is commodity `Shrimp`, unit `1 viss`
    defaults: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None  # strptime; without it dates must be YYYY-MM-DD
    decimal_comma: bool = False  # `1.234,5`
    table: int | str = 0  # HTML: index, or text of the table's id, caption or header row
    header_row: int = Field(default=0, ge=0)  # rows before the header

    @model_validator(mode="after")
    def _check(self) -> TableMapping:
        for where, names in (("columns", self.columns), ("defaults", self.defaults)):
            unknown = [name for name in names if name not in FIELDS]
            if unknown:
                raise ValueError(
                    f"unknown field(s) in {where}: {', '.join(map(repr, unknown))}; "
                    f"the fields are {', '.join(FIELDS)}"
                )
        fixed = sorted(NO_DEFAULT & self.defaults.keys())
        if fixed:
            raise ValueError(
                f"{', '.join(fixed)} cannot have a default: it must come from a column"
            )
        for name, value in self.defaults.items():
            if not value.strip():
                raise ValueError(f"the default for {name} is empty")
        if "observed_on" in self.defaults:
            parse_date(self.defaults["observed_on"], ISO_DATE, "the default observed_on")
        if "country" in self.defaults and not COUNTRY.fullmatch(self.defaults["country"]):
            raise ValueError("the default country must be an ISO code of two capital letters")
        if self.date_format is not None:
            _check_date_format(self.date_format)
        if isinstance(self.table, int) and self.table < 0:
            raise ValueError("table must be 0 or more (0 is the first table of the page)")
        if isinstance(self.table, str) and not self.table.strip():
            raise ValueError("table must be an index or a non-empty text")
        _check_no_column_twice(self)
        if self.layout == "long":
            if self.markets is not None:
                raise ValueError("markets is only for wide tables")
        else:
            wrong = sorted(NOT_IN_WIDE & (self.columns.keys() | self.defaults.keys()))
            if wrong:
                raise ValueError(
                    f"a wide table has no {', '.join(wrong)} column or default: its markets are "
                    "the columns and its cells are the prices"
                )
            if self.markets is not None and not self.markets:
                raise ValueError("markets is empty; leave it out to use every other column")
        missing = [field for field in REQUIRED if not self._reachable(field)]
        if missing:
            raise ValueError(
                f"nothing gives {', '.join(missing)}: map a column in `columns` or set a value "
                "in `defaults`"
            )
        return self

    def _reachable(self, field: str) -> bool:
        if field in self.columns or field in self.defaults:
            return True
        if self.layout == "wide" and field in {"market", "price", "commodity"}:
            return True  # the headers, the cells and (by default) the first column
        return field == "unit" and self.unit_in_name


def _check_date_format(fmt: str) -> None:
    # A format that cannot give back the date it wrote (no day, a typo) would misread every row.
    sample = dt.date(2022, 5, 28)
    try:
        ok = dt.datetime.strptime(sample.strftime(fmt), fmt).date() == sample
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"date_format {fmt!r} does not read a full date (e.g. '%d/%m/%Y')")


def _check_no_column_twice(mapping: TableMapping) -> None:
    used: dict[str, str] = {}
    for field, header in mapping.columns.items():
        if fold_header(header) in used:
            raise ValueError(
                f"column {header!r} is mapped to both {used[fold_header(header)]} and {field}"
            )
        used[fold_header(header)] = field
    for header in mapping.markets or []:
        if fold_header(header) in used:
            raise ValueError(f"column {header!r} is both a market and {used[fold_header(header)]}")
        used[fold_header(header)] = "a market"
    for header in mapping.ignore:
        if fold_header(header) in used:
            raise ValueError(f"column {header!r} is both ignored and {used[fold_header(header)]}")


def parse_date(text: str, fmt: str, what: str) -> dt.date:
    try:
        return dt.datetime.strptime(to_ascii_digits(text), fmt).date()
    except ValueError:
        shown = "YYYY-MM-DD" if fmt == ISO_DATE else repr(fmt)
        raise ValueError(f"{what} {text!r} does not match {shown}") from None


def fold_header(text: str) -> str:
    return " ".join(text.split()).casefold()
