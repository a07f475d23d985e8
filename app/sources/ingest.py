"""Collected prices and exchange rates into the database.

Names map through the catalogue aliases (within the source's country); a row naming something
the catalogue lacks is held back in `staged_row`, its names listed for review, and tried again
on every run, so nothing is dropped. Each row has an external key: a second run inserts
nothing, and an upstream correction updates the price with an audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.catalogue.models import Country
from app.catalogue.service import country_zones, load_index
from app.core import clock
from app.core.db import core_table, run_core
from app.prices import plausibility
from app.prices.currencies import known_currencies
from app.prices.models import FxRate, PriceObservation, PriceStatus, PriceType
from app.prices.publishing import PriceAlerts
from app.sources.mappings import WfpMapping
from app.sources.models import NameKind, Source, SourceKind, StagedRow, UnmappedName
from app.sources.names import NameMapper, create_entry, product_name
from app.sources.records import PriceRecord, RateRecord, RowProblem

# Only prices this recent alert producers: importing years of history must not.
FRESH_DAYS = 7
MAX_PROBLEMS = 50


@dataclass
class Counts:
    seen: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    unmapped: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(RowProblem(line, reason))

    def add_problems(self, problems: Iterable[RowProblem]) -> None:
        for problem in problems:
            self.reject(problem.line, problem.reason)


def external_key(source: Source, key: str) -> str:
    full = f"{source.id}:{key}"
    if len(full) <= 200:
        return full
    return f"{source.id}:sha1:{hashlib.sha1(key.encode()).hexdigest()}"  # noqa: S324 - an id, not a secret


# --- records as JSON, for rows held back --------------------------------------------------------


def _record_json(record: PriceRecord) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    data["price"] = str(record.price)
    data["observed_on"] = record.observed_on.isoformat()
    data["market_info"] = [list(pair) for pair in record.market_info]
    return data


def _record_from_json(data: dict[str, Any]) -> PriceRecord:
    return PriceRecord(
        **{
            **data,
            "price": Decimal(data["price"]),
            "observed_on": dt.date.fromisoformat(data["observed_on"]),
            "market_info": tuple(tuple(pair) for pair in data.get("market_info", [])),
        }
    )


# --- prices -------------------------------------------------------------------------------------


@dataclass
class _Pending:
    names: dict[tuple[NameKind, str], tuple[str, dict[str, Any], int]] = field(default_factory=dict)
    rows: dict[str, tuple[PriceRecord, str]] = field(default_factory=dict)

    def hold(
        self, record: PriceRecord, missing: list[tuple[NameKind, str]], mapper: NameMapper
    ) -> None:
        for kind, name in missing:
            folded = mapper.fold(name)
            info = dict(record.market_info) if kind is NameKind.MARKET else {}
            _, _, count = self.names.get((kind, folded), (name, info, 0))
            self.names[(kind, folded)] = (name, info, count + 1)
        reason = "; ".join(f"unmapped {kind} {name!r}" for kind, name in missing)
        self.rows[record.key] = (record, reason[:300])


@dataclass(frozen=True)
class _Names:
    """A row's market, commodity (and variety) and unit as catalogue ids, or what is missing."""

    market_id: int | None
    commodity: tuple[int, int | None] | None
    unit_id: int | None

    def missing(self, record: PriceRecord) -> list[tuple[NameKind, str]]:
        found = (
            (NameKind.MARKET, record.market, self.market_id),
            (NameKind.COMMODITY, product_name(record.commodity, record.variety), self.commodity),
            (NameKind.UNIT, record.unit, self.unit_id),
        )
        return [(kind, name) for kind, name, value in found if value is None]


class _Resolver:
    """Names resolved once per distinct (market, commodity, unit): a file of 30 000 rows has a
    few thousand of them."""

    def __init__(self, mapper: NameMapper) -> None:
        self.mapper = mapper
        self._seen: dict[tuple[str, str, str | None, str], _Names] = {}

    def __call__(self, record: PriceRecord) -> _Names:
        key = (record.market, record.commodity, record.variety, record.unit)
        found = self._seen.get(key)
        if found is None:
            m = self.mapper
            found = _Names(
                m.market(record.market),
                m.product(record.commodity, record.variety),
                m.unit(record.unit),
            )
            self._seen[key] = found
        return found


async def _create_missing(
    session: AsyncSession, source: Source, records: Sequence[PriceRecord], mapper: NameMapper
) -> bool:
    """Create the catalogue entries a source may create on its own (its mapping's
    `create_missing`: WFP names its markets with coordinates, for instance)."""
    if source.kind is not SourceKind.WFP_HDX:
        return False
    allowed = set(WfpMapping.model_validate(source.mapping).create_missing)
    if not allowed:
        return False
    # Each name once, with the first row that uses it (its market's admin areas, its unit).
    first: dict[tuple[NameKind, str], PriceRecord] = {}
    for record in records:
        for kind in allowed:
            first.setdefault((kind, getattr(record, kind.value)), record)
    lookup = {NameKind.MARKET: mapper.market, NameKind.UNIT: mapper.unit}
    wanted: dict[tuple[NameKind, str], PriceRecord] = {}
    for (kind, name), record in first.items():
        if lookup.get(kind, mapper.commodity)(name) is None:
            wanted.setdefault((kind, mapper.fold(name)), record)
    # Units first: a new commodity takes the unit of its first row as its default.
    for (kind, _), record in sorted(wanted.items(), key=lambda item: item[0][0] != NameKind.UNIT):
        name = {"market": record.market, "commodity": record.commodity, "unit": record.unit}[kind]
        await create_entry(
            session,
            source=source,
            kind=kind,
            name=name,
            info=dict(record.market_info),
            default_unit_id=mapper.unit(record.unit),
        )
        if kind is NameKind.UNIT:
            mapper.index = await load_index(session)
    return bool(wanted)


async def _load_history(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> plausibility.RecentPrices:
    history = plausibility.RecentPrices()
    if not rows:
        return history
    since = plausibility.window_start(min(r["observed_on"] for r in rows))
    p = core_table(PriceObservation).c
    found = await run_core(
        session,
        sa.select(
            p.commodity_id, p.variety_id, p.market_id, p.unit_id, p.currency, p.observed_on, p.price
        ).where(
            p.status == PriceStatus.PUBLISHED,
            p.commodity_id.in_({r["commodity_id"] for r in rows}),
            p.market_id.in_({r["market_id"] for r in rows}),
            p.observed_on >= since,
        ),
    )
    for c, v, m, u, cur, on, price in found:
        history.add((c, v, m, u, cur), on, Decimal(price))
    return history


def _series(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["commodity_id"],
        row["variety_id"],
        row["market_id"],
        row["unit_id"],
        row["currency"],
    )


async def ingest_prices(
    session: AsyncSession,
    *,
    source: Source,
    records: Sequence[PriceRecord],
    counts: Counts,
    actor: Actor,
    alerts: PriceAlerts,
) -> None:
    """`alerts` because a trusted source publishes, and its fresh prices alert."""
    assert source.id is not None
    counts.seen += len(records)
    staged = (await session.exec(select(StagedRow).where(StagedRow.source_id == source.id))).all()
    held = {row.key: row for row in staged}
    batch = {row.key: _record_from_json(row.record) for row in staged}
    batch.update((r.key, r) for r in records)  # what upstream says now wins over a held copy
    mapper = NameMapper(await load_index(session), source.country_code)
    if await _create_missing(session, source, list(batch.values()), mapper):
        mapper = NameMapper(await load_index(session), source.country_code)
    country = await session.get(Country, source.country_code) if source.country_code else None
    tomorrow = clock.today(country.timezone if country else "UTC") + dt.timedelta(days=1)
    currencies = known_currencies()
    pending = _Pending()
    resolve = _Resolver(mapper)
    rows: list[dict[str, Any]] = []
    existing = await _existing(session, source)
    for record in batch.values():
        key = external_key(source, record.key)
        known = existing.get(key)
        if known is not None and known.upstream == record.price:
            counts.unchanged += 1  # the usual case on every run after the first: no work
            continue
        if record.country and country and record.country != country.code:
            counts.reject(record.line, f"row is for country {record.country}, not {country.code}")
            continue
        try:
            price_type = PriceType(record.price_type.strip().lower())
        except ValueError:
            counts.reject(
                record.line,
                f"price type {record.price_type!r} is not one of {', '.join(PriceType)}",
            )
            continue
        if record.currency not in currencies:
            counts.reject(record.line, f"unknown currency {record.currency!r}")
            continue
        if record.observed_on > tomorrow:
            counts.reject(record.line, f"date {record.observed_on} is in the future")
            continue
        names = resolve(record)
        if names.market_id is None or names.commodity is None or names.unit_id is None:
            pending.hold(record, names.missing(record), mapper)
            continue
        rows.append(
            {
                "external_key": key,
                "commodity_id": names.commodity[0],
                "variety_id": names.commodity[1],
                "market_id": names.market_id,
                "country_code": mapper.index.market_by_id[names.market_id].country_code,
                "price": record.price,
                "currency": record.currency,
                "unit_id": names.unit_id,
                "price_type": price_type,
                "observed_on": record.observed_on,
                "line": record.line,
            }
        )
    await _store_prices(session, source, rows, existing, counts, actor, alerts)
    await _hold(session, source, pending, held, counts)


@dataclass(frozen=True)
class _Imported:
    id: int
    upstream: Decimal  # as the source last delivered it
    price: Decimal  # as it is now (a CDE may have corrected it)
    country: str


async def _existing(session: AsyncSession, source: Source) -> dict[str, _Imported]:
    p = core_table(PriceObservation).c
    found = await run_core(
        session,
        sa.select(p.external_key, p.id, p.upstream_price, p.price, p.country_code).where(
            p.source_id == source.id
        ),
    )
    return {
        key: _Imported(i, Decimal(upstream if upstream is not None else price), price, country)
        for key, i, upstream, price, country in found
    }


async def _store_prices(
    session: AsyncSession,
    source: Source,
    rows: list[dict[str, Any]],
    existing: dict[str, _Imported],
    counts: Counts,
    actor: Actor,
    alerts: PriceAlerts,
) -> None:
    now = clock.utcnow()
    new: list[dict[str, Any]] = []
    table = core_table(PriceObservation)
    for row in rows:
        found = existing.get(row["external_key"])
        if found is None:
            new.append(row)
            continue
        if found.upstream == row["price"]:
            counts.unchanged += 1
            continue
        await run_core(
            session,
            table.update()
            .where(table.c.id == found.id)
            .values(price=row["price"], upstream_price=row["price"], updated_at=now),
        )
        audit.record(
            session,
            actor=actor,
            action="price.correct",
            entity="price",
            entity_id=found.id,
            country=found.country,
            before={"price": str(found.price), "upstream_price": str(found.upstream)},
            after={"price": str(row["price"]), "source": source.slug},
        )
        counts.updated += 1
    if not new:
        return
    history = await _load_history(session, new)
    new.sort(key=lambda r: r["observed_on"])
    for row in new:
        series = _series(row)
        row["outlier"] = plausibility.is_outlier(
            row["price"], history.window(series, row["observed_on"])
        )
        # A trusted source publishes at once, but an implausible value waits for a CDE.
        published = source.trusted and not row["outlier"]
        row["status"] = PriceStatus.PUBLISHED if published else PriceStatus.PENDING
        row["reviewed_by"] = actor.name if published else None
        row["reviewed_at"] = now if published else None
        if published:
            history.add(series, row["observed_on"], row["price"])
        line = row.pop("line")
        if row["outlier"] and len(counts.problems) < MAX_PROBLEMS:
            counts.problems.append(RowProblem(line, "implausible price: left pending for a CDE"))
        row.update(
            upstream_price=row["price"],
            source=source.slug,
            source_id=source.id,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
        )
    await run_core(session, table.insert(), new)
    counts.inserted += len(new)
    await _announce_fresh(session, new, alerts)


async def _announce_fresh(
    session: AsyncSession, rows: Sequence[dict[str, Any]], alerts: PriceAlerts
) -> None:
    """Alert producers of the newest published price of each series, when it is recent."""
    zones = await country_zones(session)
    since = {c: clock.today(zone) - dt.timedelta(days=FRESH_DAYS) for c, zone in zones.items()}
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if (
            row["status"] is PriceStatus.PUBLISHED
            and row["observed_on"] >= since[row["country_code"]]
        ):
            series = (*_series(row), row["price_type"])
            if series not in newest or row["observed_on"] >= newest[series]["observed_on"]:
                newest[series] = row
    if not newest:
        return
    keys = [row["external_key"] for row in newest.values()]
    found = await session.exec(
        select(PriceObservation)
        .where(col(PriceObservation.external_key).in_(keys))
        .order_by(col(PriceObservation.id))
    )
    for price in found.all():
        await alerts.price_published(session, price=price)


async def _hold(
    session: AsyncSession,
    source: Source,
    pending: _Pending,
    held: dict[str, StagedRow],
    counts: Counts,
) -> None:
    """Keep the source's held rows in step with the ones still unmapped (only what changed is
    written: a large file waiting for review is not rewritten on every run), and list their
    names."""
    staged = core_table(StagedRow)
    now = clock.utcnow()
    gone = [row.id for key, row in held.items() if key not in pending.rows]
    for start in range(0, len(gone), 500):  # well under every engine's parameter limit
        await run_core(session, staged.delete().where(staged.c.id.in_(gone[start : start + 500])))
    new = []
    for key, (record, reason) in pending.rows.items():
        data = _record_json(record)
        row = held.get(key)
        if row is None:
            new.append(
                {
                    "source_id": source.id,
                    "key": key,
                    "record": data,
                    "reason": reason,
                    "created_at": now,
                }
            )
        elif row.record != data or row.reason != reason:  # upstream changed a held row
            await run_core(
                session,
                staged.update().where(staged.c.id == row.id).values(record=data, reason=reason),
            )
    if new:
        await run_core(session, staged.insert(), new)
    counts.unmapped += len(pending.rows)
    names = {
        (n.kind, n.normalized): n
        for n in (
            await session.exec(select(UnmappedName).where(UnmappedName.source_id == source.id))
        ).all()
    }
    for n in names.values():
        n.rows = 0
    for (kind, folded), (name, info, count) in pending.names.items():
        entry = names.get((kind, folded[:120]))
        if entry is None:
            entry = UnmappedName(
                source_id=source.id or 0,
                kind=kind,
                name=name[:120],
                normalized=folded[:120],
                info=info,
                first_seen=now,
            )
            names[(kind, folded[:120])] = entry
        entry.rows, entry.last_seen = count, now
        if entry.mapped_to is not None:  # mapped once, but the alias went
            entry.mapped_to = entry.mapped_by = entry.mapped_at = None
    session.add_all(names.values())
    await session.flush()


# --- exchange rates -----------------------------------------------------------------------------


async def ingest_rates(
    session: AsyncSession,
    *,
    source: Source,
    records: Sequence[RateRecord],
    counts: Counts,
    actor: Actor,
) -> None:
    counts.seen += len(records)
    if not records:
        return
    existing = {
        (r.base, r.quote, r.on_date): r
        for r in (
            await session.exec(
                select(FxRate).where(
                    FxRate.source == source.slug,
                    col(FxRate.on_date).in_({r.on_date for r in records}),
                )
            )
        ).all()
    }
    for record in records:
        found = existing.get((record.base, record.quote, record.on_date))
        if found is None:
            rate = FxRate(
                base=record.base,
                quote=record.quote,
                rate=record.rate,
                on_date=record.on_date,
                source=source.slug,
            )
            session.add(rate)
            existing[(record.base, record.quote, record.on_date)] = rate
            counts.inserted += 1
        elif Decimal(found.rate) == record.rate:
            counts.unchanged += 1
        else:
            before = audit.snapshot(found)
            found.rate = record.rate
            await audit.save(
                session,
                found,
                actor=actor,
                action="fx_rate.correct",
                entity="fx_rate",
                country=None,
                before=before,
            )
            counts.updated += 1
    await session.flush()
