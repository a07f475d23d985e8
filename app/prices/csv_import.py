"""Prices imported from a CSV file: every row checked first, the good ones stored in one go,
the rest reported by line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.catalogue.service import load_index
from app.core.amounts import read_amount
from app.core.errors import AppError
from app.prices import plausibility
from app.prices.curation import build_price, store_prices, validate
from app.prices.duplicates import exact_key, existing_twins
from app.prices.models import PriceCreate, PriceObservation, PriceStatus
from app.prices.publishing import PriceAlerts
from app.text.csvfile import ImportReport, RowResult, first_error, read_csv

CSV_REQUIRED = ("commodity", "market", "price", "currency", "unit", "price_type", "observed_on")
CSV_OPTIONAL = ("variety", "price_min", "price_max", "note", "external_key")


def _series(p: PriceObservation) -> tuple[Any, ...]:
    return (p.commodity_id, p.variety_id, p.market_id, p.unit_id, p.currency)


async def _recent_prices(
    session: AsyncSession, prices: Sequence[PriceObservation]
) -> plausibility.RecentPrices:
    """Published prices of the series an import touches, loaded in one query, so that each
    row's plausibility check needs no query of its own."""
    history = plausibility.RecentPrices()
    if not prices:
        return history
    rows = await session.exec(
        select(PriceObservation).where(
            PriceObservation.status == PriceStatus.PUBLISHED,
            col(PriceObservation.commodity_id).in_({p.commodity_id for p in prices}),
            col(PriceObservation.market_id).in_({p.market_id for p in prices}),
            col(PriceObservation.observed_on)
            >= plausibility.window_start(min(p.observed_on for p in prices)),
            col(PriceObservation.observed_on) <= max(p.observed_on for p in prices),
        )
    )
    for row in rows.all():
        history.add(_series(row), row.observed_on, Decimal(row.price))
    return history


async def _taken_keys(session: AsyncSession, keys: Sequence[str]) -> dict[str, int]:
    """The stored prices with any of these external keys, by key."""
    taken: dict[str, int] = {}
    for start in range(0, len(keys), 500):  # stay well under every engine's parameter limit
        chunk = keys[start : start + 500]
        found = await session.exec(
            select(col(PriceObservation.external_key), col(PriceObservation.id)).where(
                col(PriceObservation.external_key).in_(chunk)
            )
        )
        taken.update((k, i) for k, i in found.all() if k and i is not None)
    return taken


async def import_prices_csv(
    session: AsyncSession,
    *,
    content: bytes,
    staff: Staff,
    alerts: PriceAlerts,
    publish: bool = False,
) -> ImportReport:
    """Check every row first, then store the good ones in one go (in this one transaction) and
    report the rest by line. A row already stored (same external_key, or an exact duplicate of
    an unkeyed price, also one earlier in the same file) is reported as a duplicate with the
    stored price's id: importing a file again stores nothing twice. A file that is not a
    readable CSV of the documented columns, or a failure while storing, stores nothing."""
    staff.require_writer()
    csv_file = read_csv(content, required=CSV_REQUIRED, optional=CSV_OPTIONAL)
    index = await load_index(session)
    report = ImportReport()
    keys = [row.values["external_key"] for row in csv_file.rows if row.values.get("external_key")]
    taken = await _taken_keys(session, keys)
    checked: list[tuple[int, PriceObservation]] = []
    for row in csv_file.rows:
        if row.error:
            report.rejected.append(RowResult(row.line, error=row.error))
            continue
        v = row.values
        try:
            data = PriceCreate.model_validate(
                {
                    **{k: (value or None) for k, value in v.items() if k != "external_key"},
                    "price": read_amount(v["price"], "price"),
                    "price_min": read_amount(v.get("price_min", ""), "price_min"),
                    "price_max": read_amount(v.get("price_max", ""), "price_max"),
                }
            )
            resolved = validate(data, index)
            staff.check_country(resolved.market.country_code, f"market {resolved.market.slug}")
            key = v.get("external_key") or None
            if key in taken:
                report.duplicates.append(RowResult(row.line, id=taken[key]))
                continue
            checked.append((row.line, build_price(data, resolved, staff.actor, "csv", key)))
        except ValidationError as exc:
            report.rejected.append(RowResult(row.line, error=first_error(exc)))
        except AppError as exc:  # unknown names, bad values, out of scope
            report.rejected.append(RowResult(row.line, error=str(exc.detail)))
    checked = await _without_duplicates(session, checked, report)
    history = await _recent_prices(session, [p for _, p in checked])
    accepted: list[tuple[int, PriceObservation]] = []
    # In date order, as a source run checks its rows: a price this file publishes is history
    # for its later days wherever its line is.
    for line, price in sorted(checked, key=lambda checked_row: checked_row[1].observed_on):
        past = history.window(_series(price), price.observed_on)
        price.outlier = plausibility.is_outlier(Decimal(price.price), past)
        if publish and price.outlier:
            report.rejected.append(
                RowResult(
                    line,
                    error=f"implausible price: {plausibility.explain(Decimal(price.price), past)}; "
                    "import it unpublished, check it, then publish it with confirm_outlier",
                )
            )
            continue
        accepted.append((line, price))
        if publish:
            history.add(_series(price), price.observed_on, Decimal(price.price))
    accepted.sort(key=lambda accepted_row: accepted_row[0])
    await store_prices(
        session, [p for _, p in accepted], staff.actor, publish=publish, alerts=alerts
    )
    report.accepted = [RowResult(line, id=p.id) for line, p in accepted]
    stored_lines = {line: p.id for line, p in accepted}
    for result in list(report.duplicates):  # a repeat of an earlier row gets that row's id
        if result.line_of_original is None:
            continue
        result.id = stored_lines.get(result.line_of_original)
        if result.id is None:
            report.duplicates.remove(result)
            report.rejected.append(
                RowResult(result.line, error=f"repeats line {result.line_of_original}")
            )
    report.rejected.sort(key=lambda r: r.line)
    report.duplicates.sort(key=lambda r: r.line)
    return report


async def _without_duplicates(
    session: AsyncSession, checked: list[tuple[int, PriceObservation]], report: ImportReport
) -> list[tuple[int, PriceObservation]]:
    """The checked rows that are new: neither stored already nor repeating an earlier row of
    the file (by external key or, for unkeyed rows, exactly); the others go to duplicates."""
    stored = await existing_twins(session, [p for _, p in checked if p.external_key is None])
    first_line: dict[Any, int] = {}
    kept = []
    for line, price in checked:
        seen = price.external_key or exact_key(price)
        if price.external_key is None and exact_key(price) in stored:
            report.duplicates.append(RowResult(line, id=stored[exact_key(price)].id))
        elif seen in first_line:
            report.duplicates.append(RowResult(line, line_of_original=first_line[seen]))
        else:
            first_line[seen] = line
            kept.append((line, price))
    return kept
