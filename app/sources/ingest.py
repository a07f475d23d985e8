"""Collected records into prices, rates and leads.

Names map through the catalogue aliases (within the source's country); a row naming something
the catalogue lacks is held back in `staged_row`, its names listed for review, and tried again
on every run, so nothing is dropped. Each row has an external key: a second run inserts
nothing, and an upstream correction updates the price with an audit entry.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.catalogue.models import Alias, Commodity, Country, Market, MarketKind, Unit
from app.catalogue.service import CatalogueIndex, load_index
from app.core.db import core_table, run_core, utcnow
from app.core.events import PricePublished, bus
from app.leads.models import BuyerLead, LeadKind, LeadStatus
from app.prices import plausibility
from app.prices.models import FxRate, PriceObservation, PriceStatus, PriceType
from app.prices.service import known_currencies
from app.sources.models import NameKind, Source, StagedRow, UnmappedName
from app.sources.records import LeadRecord, PriceRecord, RateRecord, RowProblem
from app.text.normalize import fold

# Only prices this recent alert producers: importing years of history must not.
FRESH_DAYS = 7
MAX_PROBLEMS = 50
LEAD_DAYS = 14


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


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60] or "x"


class NameMapper:
    """The catalogue's names, folded once: an import of 30 000 rows uses a few hundred names."""

    def __init__(self, index: CatalogueIndex, country: str | None) -> None:
        self.index = index
        self.country = country
        self._folded: dict[str, str] = {}
        self._varieties: dict[str, set[int]] = defaultdict(set)
        for (_, name), ids in index.varieties.items():
            self._varieties[name] |= ids

    def fold(self, text: str) -> str:
        found = self._folded.get(text)
        if found is None:
            found = self._folded[text] = fold(text)
        return found

    def market(self, name: str) -> int | None:
        ids = [
            i
            for i in self.index.markets.get(self.fold(name), ())
            if self.country is None or self.index.market_by_id[i].country_code == self.country
        ]
        return ids[0] if len(ids) == 1 else None

    def commodity(self, name: str) -> tuple[int, int | None] | None:
        folded = self.fold(name)
        ids = self.index.commodities.get(folded, set())
        if len(ids) == 1:
            return next(iter(ids)), None
        varieties = self._varieties.get(folded, set())
        if not ids and len(varieties) == 1:
            variety = self.index.variety_by_id[next(iter(varieties))]
            return variety.commodity_id, variety.id
        return None

    def variety_names(self) -> Iterable[str]:
        return self._varieties.keys()

    def unit(self, name: str) -> int | None:
        folded = self.fold(name)
        ids = self.index.units.get(folded, set())
        if not ids and folded.startswith("1 "):  # "1 viss", "1 kg": one of the unit itself
            ids = self.index.units.get(folded[2:].strip(), set())
        return next(iter(ids)) if len(ids) == 1 else None


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


# --- creating catalogue entries from what a source says -----------------------------------------


def _kg_factor(unit_name: str) -> Decimal | None:
    """WFP writes weights as "KG", "1.6 KG", "10 KG", "500 G"."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)?\s*(kg|g)\s*", unit_name.casefold())
    if not found:
        return None
    amount = Decimal(found.group(1) or 1)
    return amount if found.group(2) == "kg" else amount / 1000


async def add_alias(session: AsyncSession, target: str, key: Any, text: str) -> None:
    session.add(Alias(locale="en", text=text[:120], normalized=fold(text)[:120], **{target: key}))


async def create_entry(
    session: AsyncSession,
    *,
    source: Source,
    kind: NameKind,
    name: str,
    info: dict[str, Any],
    default_unit_id: int | None = None,
) -> str:
    """A new market, commodity or unit named as the source names it; returns its slug."""
    if kind is NameKind.UNIT:
        code = await _free_slug(session, Unit, "code", slugify(name))
        unit = Unit(code=code, name=name[:80], kg_factor=_kg_factor(name))
        session.add(unit)
        await session.flush()
        await add_alias(session, "unit_id", unit.id, name)
        return code
    if kind is NameKind.COMMODITY:
        slug = await _free_slug(session, Commodity, "slug", slugify(name))
        commodity = Commodity(slug=slug, name=name, default_unit_id=default_unit_id)
        session.add(commodity)
        await session.flush()
        await add_alias(session, "commodity_id", commodity.id, name)
        return slug
    if source.country_code is None:
        raise ValueError("a market needs its source's country")
    country = await session.get(Country, source.country_code)
    assert country is not None
    slug = slugify(name)
    if info.get("admin2") and await _taken(session, Market, "slug", slug):
        slug = f"{slug}-{slugify(info['admin2'])}"  # two markets of one name: say where
    slug = await _free_slug(session, Market, "slug", slug)
    market = Market(
        slug=slug,
        name=name,
        kind=MarketKind(source.mapping.get("market_kind", MarketKind.RETAIL)),
        country_code=country.code,
        timezone=country.timezone,
        currency=country.currency,
        latitude=_float(info.get("latitude")),
        longitude=_float(info.get("longitude")),
        description=", ".join(str(info[k]) for k in ("admin2", "admin1") if info.get(k)) or None,
    )
    session.add(market)
    await session.flush()
    await add_alias(session, "market_id", market.id, name)
    return slug


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except ValueError:
        return None


async def _taken(session: AsyncSession, model: Any, column: str, value: str) -> bool:
    found = await session.exec(
        select(getattr(model, column)).where(getattr(model, column) == value)
    )
    return found.first() is not None


async def _free_slug(session: AsyncSession, model: Any, column: str, wanted: str) -> str:
    taken = set(
        (
            await session.exec(
                select(getattr(model, column)).where(col(getattr(model, column)).like(f"{wanted}%"))
            )
        ).all()
    )
    slug, n = wanted, 2
    while slug in taken:
        slug, n = f"{wanted}-{n}", n + 1
    return slug


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


def _missing(record: PriceRecord, mapper: NameMapper) -> list[tuple[NameKind, str]]:
    missing = []
    if mapper.market(record.market) is None:
        missing.append((NameKind.MARKET, record.market))
    if mapper.commodity(record.commodity) is None:
        missing.append((NameKind.COMMODITY, record.commodity))
    if mapper.unit(record.unit) is None:
        missing.append((NameKind.UNIT, record.unit))
    return missing


async def _create_missing(
    session: AsyncSession, source: Source, records: Sequence[PriceRecord], mapper: NameMapper
) -> bool:
    """Create the catalogue entries a source may create on its own (its mapping's
    `create_missing`: WFP names its markets with coordinates, for instance)."""
    allowed = {NameKind(k) for k in source.mapping.get("create_missing", [])}
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


class _History:
    """Published prices per series, by date, for the plausibility check of many new rows."""

    def __init__(self) -> None:
        self._dates: dict[tuple[Any, ...], list[dt.date]] = defaultdict(list)
        self._prices: dict[tuple[Any, ...], list[Decimal]] = defaultdict(list)

    def add(self, series: tuple[Any, ...], on: dt.date, price: Decimal) -> None:
        i = bisect.bisect_right(self._dates[series], on)
        self._dates[series].insert(i, on)
        self._prices[series].insert(i, price)

    def window(self, series: tuple[Any, ...], on: dt.date) -> list[Decimal]:
        dates = self._dates.get(series)
        if not dates:
            return []
        since = on - dt.timedelta(days=plausibility.WINDOW_DAYS)
        return self._prices[series][
            bisect.bisect_left(dates, since) : bisect.bisect_right(dates, on)
        ]


async def _load_history(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> _History:
    history = _History()
    if not rows:
        return history
    since = min(r["observed_on"] for r in rows) - dt.timedelta(days=plausibility.WINDOW_DAYS)
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
    actor: str,
) -> None:
    assert source.id is not None
    counts.seen += len(records)
    staged = (await session.exec(select(StagedRow).where(StagedRow.source_id == source.id))).all()
    batch = {row.key: _record_from_json(row.record) for row in staged}
    batch.update((r.key, r) for r in records)  # what upstream says now wins over a held copy
    mapper = NameMapper(await load_index(session), source.country_code)
    if await _create_missing(session, source, list(batch.values()), mapper):
        mapper = NameMapper(await load_index(session), source.country_code)
    country = await session.get(Country, source.country_code) if source.country_code else None
    tomorrow = dt.datetime.now(zoneinfo.ZoneInfo(country.timezone) if country else dt.UTC).date()
    tomorrow += dt.timedelta(days=1)
    currencies = known_currencies()
    pending = _Pending()
    rows: list[dict[str, Any]] = []
    existing = await _existing(session, source)
    for record in batch.values():
        key = external_key(source, record.key)
        known = existing.get(key)
        if known is not None and known[1] == record.price:
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
        missing = _missing(record, mapper)
        if missing:
            pending.hold(record, missing, mapper)
            continue
        commodity = mapper.commodity(record.commodity)
        assert commodity is not None
        market_id = mapper.market(record.market)
        rows.append(
            {
                "external_key": key,
                "commodity_id": commodity[0],
                "variety_id": commodity[1],
                "market_id": market_id,
                "country_code": mapper.index.market_by_id[market_id or 0].country_code,
                "price": record.price,
                "currency": record.currency,
                "unit_id": mapper.unit(record.unit),
                "price_type": price_type,
                "observed_on": record.observed_on,
                "line": record.line,
            }
        )
    await _store_prices(session, source, rows, existing, counts, actor)
    await _hold(session, source, pending, counts)


async def _existing(session: AsyncSession, source: Source) -> dict[str, tuple[int, Decimal, str]]:
    p = core_table(PriceObservation).c
    found = await run_core(
        session,
        sa.select(p.external_key, p.id, p.price, p.country_code).where(p.source_id == source.id),
    )
    return {key: (i, Decimal(price), country) for key, i, price, country in found}


async def _store_prices(
    session: AsyncSession,
    source: Source,
    rows: list[dict[str, Any]],
    existing: dict[str, tuple[int, Decimal, str]],
    counts: Counts,
    actor: str,
) -> None:
    now = utcnow()
    new: list[dict[str, Any]] = []
    table = core_table(PriceObservation)
    for row in rows:
        found = existing.get(row["external_key"])
        if found is None:
            new.append(row)
            continue
        price_id, old, country = found
        if old == row["price"]:
            counts.unchanged += 1
            continue
        await run_core(
            session,
            table.update().where(table.c.id == price_id).values(price=row["price"], updated_at=now),
        )
        audit.record(
            session,
            actor=actor,
            action="price.correct",
            entity="price",
            entity_id=price_id,
            country=country,
            before={"price": str(old)},
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
        row["reviewed_by"] = actor if published else None
        row["reviewed_at"] = now if published else None
        if published:
            history.add(series, row["observed_on"], row["price"])
        line = row.pop("line")
        if row["outlier"] and len(counts.problems) < MAX_PROBLEMS:
            counts.problems.append(RowProblem(line, "implausible price: left pending for a CDE"))
        row.update(
            source=source.slug,
            source_id=source.id,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
    await run_core(session, table.insert(), new)
    counts.inserted += len(new)
    await _announce_fresh(session, new)


async def _announce_fresh(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Alert producers of the newest published price of each series, when it is recent."""
    since = dt.date.today() - dt.timedelta(days=FRESH_DAYS)
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if row["status"] is PriceStatus.PUBLISHED and row["observed_on"] >= since:
            series = (*_series(row), row["price_type"])
            if series not in newest or row["observed_on"] >= newest[series]["observed_on"]:
                newest[series] = row
    if not newest:
        return
    keys = [row["external_key"] for row in newest.values()]
    found = await run_core(
        session,
        sa.select(core_table(PriceObservation).c.id).where(
            core_table(PriceObservation).c.external_key.in_(keys)
        ),
    )
    for (price_id,) in sorted(found):
        await bus.emit(session, PricePublished(price_id))


async def _hold(session: AsyncSession, source: Source, pending: _Pending, counts: Counts) -> None:
    """Replace the source's held rows with the ones still unmapped, and list their names."""
    staged = core_table(StagedRow)
    await run_core(session, staged.delete().where(staged.c.source_id == source.id))
    now = utcnow()
    if pending.rows:
        await run_core(
            session,
            staged.insert(),
            [
                {
                    "source_id": source.id,
                    "key": key,
                    "record": _record_json(r),
                    "reason": reason,
                    "created_at": now,
                }
                for key, (r, reason) in pending.rows.items()
            ],
        )
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
        if entry.mapped_to is not None:
            entry.mapped_to = entry.mapped_by = entry.mapped_at = (
                None  # mapped once, but the alias went
            )
    session.add_all(names.values())
    await session.flush()


# --- exchange rates -----------------------------------------------------------------------------


async def ingest_rates(
    session: AsyncSession,
    *,
    source: Source,
    records: Sequence[RateRecord],
    counts: Counts,
    actor: str,
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


# --- buyer leads --------------------------------------------------------------------------------

_QUANTITY = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([^\W\d_]+)")
_NON_WORD = re.compile(r"[^\w]+")
_PRICE = re.compile(r"\b([A-Z]{3})\s*(\d[\d,]*(?:\.\d+)?)")


def _find_commodity(text: str, mapper: NameMapper) -> tuple[int, int | None] | None:
    """The longest catalogue name that appears in the text as words. A one-word variety
    ("green", "black") counts only next to its commodity's name: "green gram" is no tea."""
    words = _NON_WORD.sub(" ", mapper.fold(text))
    folded = f" {words} "
    named: dict[int, int] = {}  # commodity id -> length of its longest name in the text
    for name, ids in mapper.index.commodities.items():
        if len(ids) == 1 and f" {name} " in folded:
            commodity_id = next(iter(ids))
            named[commodity_id] = max(named.get(commodity_id, 0), len(name))
    best: tuple[int, tuple[int, int | None]] | None = None
    for commodity_id, length in named.items():
        if best is None or length > best[0]:
            best = (length, (commodity_id, None))
    for name in mapper.variety_names():
        found = mapper.commodity(name) if f" {name} " in folded else None
        if found is None or (" " not in name and found[0] not in named):
            continue
        if best is None or len(name) > best[0] or found[0] == best[1][0]:
            best = (len(name), found)
    return best[1] if best else None


def _quantity(text: str, mapper: NameMapper) -> tuple[Decimal, int] | None:
    for amount, word in _QUANTITY.findall(text):
        unit = mapper.unit(word) or (mapper.unit(word[:-1]) if word.endswith("s") else None)
        if unit is not None:
            return Decimal(amount.replace(",", "")), unit
    return None


async def ingest_leads(
    session: AsyncSession,
    *,
    source: Source,
    records: Sequence[LeadRecord],
    counts: Counts,
    actor: str,
) -> None:
    """Feed entries become pending leads: a CDE verifies a buyer before any producer hears."""
    counts.seen += len(records)
    if source.country_code is None:
        raise ValueError("a lead feed needs its source's country")
    mapper = NameMapper(await load_index(session), source.country_code)
    keys = {external_key(source, r.key): r for r in records}
    taken = set(
        (
            await session.exec(
                select(BuyerLead.external_key).where(col(BuyerLead.external_key).in_(keys))
            )
        ).all()
    )
    today = dt.date.today()
    kind = LeadKind(source.mapping.get("kind", LeadKind.BUY))
    days = int(source.mapping.get("expires_days", LEAD_DAYS))
    for key, record in keys.items():
        if key in taken:
            counts.unchanged += 1
            continue
        text = f"{record.title} {record.summary}"
        commodity = _find_commodity(text, mapper)
        if commodity is None:
            counts.reject(record.line, f"no catalogue commodity named in {record.title[:80]!r}")
            continue
        expires = (record.published or today) + dt.timedelta(days=days)
        if expires < today:
            counts.reject(record.line, f"the lead of {record.published} has already expired")
            continue
        quantity = _quantity(text, mapper)
        price = _PRICE.search(text)
        currency = price.group(1) if price and price.group(1) in known_currencies() else None
        lead = BuyerLead(
            kind=kind,
            commodity_id=commodity[0],
            variety_id=commodity[1],
            quantity=quantity[0] if quantity else None,
            unit_id=quantity[1] if quantity else None,
            price=Decimal(price.group(2).replace(",", "")) if price and currency else None,
            negotiable=not (price and currency),
            currency=currency,
            buyer_name=(record.author or source.name)[:120],
            contact=(source.mapping.get("contact") or record.link or source.url)[:200],
            country_code=source.country_code,
            status=LeadStatus.PENDING,
            expires_on=min(expires, today + dt.timedelta(days=90)),
            note=text[:500],
            created_by=actor,
            source_id=source.id,
            external_key=key,
            link=record.link[:500] if record.link else None,
        )
        session.add(lead)
        counts.inserted += 1
    await session.flush()
