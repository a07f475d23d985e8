"""WFP food prices as published on HDX: the CSV in each of its three generations, found through
the dataset's CKAN `package_show` record.

Generations, all read by column name: 14 columns with an HXL tag row (#date, #adm1+name, …)
under the header; 16 columns adding market_id and commodity_id, with the tag row; the same 16
without it. The global file adds countryiso3 in front.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from app.sources.models import Source
from app.sources.records import CollectorError, Parsed, PriceRecord, RowProblem
from jobs.collectors.base import Collected, fetch_parsed
from jobs.collectors.http import fetch

REQUIRED = ("date", "market", "commodity", "unit", "pricetype", "currency", "price")
_CONTEXT = ("admin1", "admin2", "latitude", "longitude", "market_id")
# Observed prices and WFP's aggregates of them; a forecast is not a price anyone paid.
_OBSERVED = {"", "actual", "aggregate"}
ISO3_TO_ISO2 = {"MMR": "MM", "KHM": "KH", "LAO": "LA", "VNM": "VN", "THA": "TH", "CHN": "CN"}


@dataclass(frozen=True)
class Resource:
    url: str
    last_modified: str  # CKAN's own stamp: a new value means new data


def find_resource(content: bytes) -> Resource:
    """The price CSV among the dataset's resources (the others are market lists, QuickCharts)."""
    try:
        answer = json.loads(content)
    except ValueError as exc:
        raise CollectorError(f"the CKAN answer is not JSON: {exc}") from exc
    if not isinstance(answer, dict) or not answer.get("success"):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise CollectorError(f"CKAN package_show failed: {error or 'no success flag'}")
    resources = answer.get("result", {}).get("resources") or []
    candidates = [
        r
        for r in resources
        if isinstance(r, dict)
        and str(r.get("format", "")).lower() == "csv"
        and "food_prices" in str(r.get("url", ""))
        and "markets" not in str(r.get("name", "")).lower()
    ]
    if not candidates:
        names = ", ".join(str(r.get("name")) for r in resources if isinstance(r, dict))
        raise CollectorError(f"the dataset has no food-price CSV among: {names or 'nothing'}")
    chosen = candidates[0]
    stamp = chosen.get("last_modified") or chosen.get("metadata_modified") or ""
    return Resource(url=str(chosen["url"]), last_modified=str(stamp))


def _reader(content: bytes) -> tuple[list[str], Any]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CollectorError(f"the file is not UTF-8 text: {exc}") from exc
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        raise CollectorError("expected the WFP CSV file but got an HTML page")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CollectorError("the file is empty") from None
    except csv.Error as exc:
        raise CollectorError(f"line 1: {exc}") from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CollectorError(
            f"not a WFP food-price file: no column {', '.join(missing)} "
            f"(its columns are {', '.join(header)}); was a column renamed?"
        )
    return header, reader


def parse(content: bytes) -> Parsed[PriceRecord]:
    header, reader = _reader(content)
    at = {name: i for i, name in enumerate(header)}
    context = [(name, at[name]) for name in _CONTEXT if name in at]
    width = len(header)
    get = at.get
    i_date, i_market, i_commodity = at["date"], at["market"], at["commodity"]
    i_unit, i_type, i_currency, i_price = (
        at["unit"],
        at["pricetype"],
        at["currency"],
        at["price"],
    )
    i_flag, i_country = get("priceflag"), get("countryiso3")
    i_admin1, i_admin2 = get("admin1"), get("admin2")
    parsed: Parsed[PriceRecord] = Parsed()
    problems = parsed.problems
    names = [name for name, _ in context]

    # One tuple per market, shared by its rows: a market's admin areas repeat on every line.
    @functools.cache
    def market_info(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        return tuple((n, v.strip()) for n, v in zip(names, values, strict=True) if v.strip())

    ends_cleanly = content.endswith((b"\n", b"\r"))
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if len(cells) != width:
                if not any(c.strip() for c in cells):
                    continue
                problems.append(
                    RowProblem(line, f"{len(cells)} fields where the header has {width}")
                )
                continue
            if cells[0].startswith("#"):  # the HXL tag row
                continue
            if i_flag is not None and cells[i_flag].strip().lower() not in _OBSERVED:
                problems.append(
                    RowProblem(line, f"priceflag {cells[i_flag]!r}: not an observed price")
                )
                continue
            try:
                observed_on = dt.date.fromisoformat(cells[i_date].strip())
            except ValueError:
                problems.append(RowProblem(line, f"date {cells[i_date]!r} is not YYYY-MM-DD"))
                continue
            try:
                price = Decimal(cells[i_price].strip())
            except InvalidOperation:
                problems.append(RowProblem(line, f"price {cells[i_price]!r} is not a number"))
                continue
            if not price.is_finite() or price <= 0:
                problems.append(RowProblem(line, f"price {cells[i_price]!r} is not above zero"))
                continue
            market, commodity, unit = (
                cells[i_market].strip(),
                cells[i_commodity].strip(),
                cells[i_unit].strip(),
            )
            price_type, currency = cells[i_type].strip(), cells[i_currency].strip().upper()
            if not (market and commodity and unit and price_type and currency):
                problems.append(
                    RowProblem(line, "market, commodity, unit, pricetype or currency is empty")
                )
                continue
            iso3 = cells[i_country].strip().upper() if i_country is not None else ""
            admin1 = cells[i_admin1].strip() if i_admin1 is not None else ""
            admin2 = cells[i_admin2].strip() if i_admin2 is not None else ""
            parsed.records.append(
                PriceRecord(
                    key="|".join(
                        (
                            iso3,
                            str(observed_on),
                            admin1,
                            admin2,
                            market,
                            commodity,
                            unit,
                            price_type,
                            currency,
                        )
                    ),
                    line=line,
                    market=market,
                    commodity=commodity,
                    unit=unit,
                    currency=currency,
                    price=price,
                    price_type=price_type,
                    observed_on=observed_on,
                    country=ISO3_TO_ISO2.get(iso3, iso3) or None,
                    market_info=market_info(tuple(cells[i] for _, i in context)),
                )
            )
    except csv.Error as exc:
        raise CollectorError(
            f"line {reader.line_num}: {exc}; the file is cut off or damaged"
        ) from exc
    if not ends_cleanly and problems and problems[-1].line == line:
        raise CollectorError(
            f"the file ends in the middle of line {line}: the download was cut off"
        )
    if not parsed.records and not problems:
        raise CollectorError("the file has a header but no rows")
    return parsed


def read_file(content: bytes) -> Collected:
    """A downloaded file, read as a run reads the download (`mic import wfp FILE`)."""
    parsed = parse(content)
    return Collected(prices=parsed.records, problems=parsed.problems)


async def collect(client: httpx.AsyncClient, source: Source) -> Collected:
    """Ask CKAN for the dataset record; download the CSV only when its `last_modified` moved.
    A URL straight to a CSV file works too, with a conditional request instead."""
    if source.url.lower().split("?")[0].endswith(".csv"):
        return await fetch_parsed(client, source, expect="csv", parse=parse, into="prices")
    record = await fetch(client, source.url, expect="json")
    assert record.content is not None
    resource = find_resource(record.content)
    if resource.last_modified and resource.last_modified == source.remote_version:
        return Collected(unchanged=f"the dataset has not changed since {resource.last_modified}")
    answer = await fetch(client, resource.url, expect="csv")
    assert answer.content is not None
    parsed = parse(answer.content)
    return Collected(
        prices=parsed.records, problems=parsed.problems, remote_version=resource.last_modified
    )
