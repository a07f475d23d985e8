"""Catalogue queries and the idempotent loader for the demo catalogue."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue import demo, latin
from app.catalogue.models import (
    Alias,
    Commodity,
    CommodityPublic,
    Country,
    CountryPublic,
    Market,
    MarketPublic,
    Unit,
    UnitPublic,
    Variety,
    VarietyPublic,
)
from app.core import clock, i18n
from app.core.errors import InvalidInput, NotFound
from app.text.normalize import fold, normalize_text

Names = dict[str, str]


def pick_name(names: Names, locale: str | None, fallback: str) -> str:
    """The display name in `locale`, else English, else the entry's own name."""
    if locale and locale in names:
        return names[locale]
    return names.get("en", fallback)


def check_locale(locale: str | None) -> str | None:
    return None if locale is None else i18n.check_locale(locale)


async def display_names(
    session: AsyncSession, target: str, keys: Iterable[Any]
) -> dict[Any, Names]:
    """Display names per locale for many entries of one kind (target is an Alias column)."""
    keys = list(keys)
    names: dict[Any, Names] = defaultdict(dict)
    if not keys:
        return names
    column = getattr(Alias, target)
    rows = await session.exec(
        select(column, Alias.locale, Alias.text).where(col(Alias.is_display), col(column).in_(keys))
    )
    for key, locale, text in rows:
        names[key][locale] = text
    return names


async def list_countries(
    session: AsyncSession, *, locale: str | None = None
) -> list[CountryPublic]:
    countries = (await session.exec(select(Country).order_by(col(Country.code)))).all()
    names = await display_names(session, "country_code", (c.code for c in countries))
    return [
        CountryPublic(
            code=c.code,
            name=pick_name(names[c.code], locale, c.name),
            currency=c.currency,
            timezone=c.timezone,
            default_locale=c.default_locale,
            names=names[c.code],
        )
        for c in countries
    ]


async def check_country(session: AsyncSession, code: str) -> str:
    """A country code as stored (upper case), or InvalidInput naming it and the known ones."""
    known = sorted((await session.exec(select(Country.code))).all())
    wanted = code.strip().upper()
    if wanted not in known:
        raise InvalidInput(f"unknown country {code!r}; use one of {', '.join(known)}")
    return wanted


async def country_zones(session: AsyncSession) -> dict[str, str]:
    """Each country's IANA time zone by code: where its "today" is read on the clock."""
    return {c.code: c.timezone for c in (await session.exec(select(Country))).all()}


async def country_today(session: AsyncSession, code: str) -> dt.date:
    """Today on the clock of the country `code`: the day its leads expire and its reports run."""
    country = await session.get(Country, code)
    if country is None:
        raise InvalidInput(f"unknown country {code!r}")
    return clock.today(country.timezone)


def _market_public(market: Market, names: Names, locale: str | None) -> MarketPublic:
    return MarketPublic(
        slug=market.slug,
        name=pick_name(names, locale, market.name),
        kind=market.kind,
        country=market.country_code,
        timezone=market.timezone,
        currency=market.currency,
        latitude=market.latitude,
        longitude=market.longitude,
        description=market.description,
        names=names,
    )


async def list_markets(
    session: AsyncSession, *, country: str | None = None, locale: str | None = None
) -> list[MarketPublic]:
    query = select(Market).order_by(col(Market.country_code), col(Market.slug))
    if country is not None:
        code = country.strip().upper()
        if await session.get(Country, code) is None:
            raise NotFound(f"no country with code {country!r}")
        query = query.where(Market.country_code == code)
    markets = (await session.exec(query)).all()
    names = await display_names(session, "market_id", (m.id for m in markets))
    return [_market_public(m, names[m.id], locale) for m in markets]


async def get_market(
    session: AsyncSession, *, slug: str, locale: str | None = None
) -> MarketPublic:
    market = (await session.exec(select(Market).where(Market.slug == slug))).first()
    if market is None:
        raise NotFound(f"no market {slug!r}")
    names = await display_names(session, "market_id", [market.id])
    return _market_public(market, names[market.id], locale)


async def list_commodities(
    session: AsyncSession, *, locale: str | None = None, slug: str | None = None
) -> list[CommodityPublic]:
    query = select(Commodity).order_by(col(Commodity.slug))
    if slug is not None:
        query = query.where(Commodity.slug == slug)
    commodities = (await session.exec(query)).all()
    if slug is not None and not commodities:
        raise NotFound(f"no commodity {slug!r}")
    varieties = (
        await session.exec(
            select(Variety)
            .where(col(Variety.commodity_id).in_([c.id for c in commodities]))
            .order_by(col(Variety.id))
        )
    ).all()
    units = {u.id: u.code for u in (await session.exec(select(Unit))).all()}
    commodity_names = await display_names(session, "commodity_id", (c.id for c in commodities))
    variety_names = await display_names(session, "variety_id", (v.id for v in varieties))
    by_commodity: dict[int | None, list[VarietyPublic]] = defaultdict(list)
    for v in varieties:
        by_commodity[v.commodity_id].append(
            VarietyPublic(
                slug=v.slug,
                name=pick_name(variety_names[v.id], locale, v.name),
                names=variety_names[v.id],
            )
        )
    return [
        CommodityPublic(
            slug=c.slug,
            name=pick_name(commodity_names[c.id], locale, c.name),
            default_unit=units.get(c.default_unit_id),
            names=commodity_names[c.id],
            varieties=by_commodity[c.id],
        )
        for c in commodities
    ]


async def list_units(session: AsyncSession, *, locale: str | None = None) -> list[UnitPublic]:
    units = (await session.exec(select(Unit).order_by(col(Unit.id)))).all()
    names = await display_names(session, "unit_id", (u.id for u in units))
    return [
        UnitPublic(
            code=u.code,
            name=pick_name(names[u.id], locale, u.name),
            kg_factor=u.kg_factor,
            names=names[u.id],
        )
        for u in units
    ]


async def catalogue_is_empty(session: AsyncSession) -> bool:
    count = (await session.exec(select(sa.func.count()).select_from(Country))).one()
    return count == 0


# --- loading ------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    """What a load added; entries that already existed are left exactly as curated."""

    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def total(self) -> int:
        return sum(self.created.values())

    def summary(self) -> str:
        if not self.total():
            return "demo catalogue already loaded; nothing changed"
        parts = ", ".join(f"{n} {kind}" for kind, n in self.created.items() if n)
        return f"loaded demo catalogue: {parts}"


class _AliasWriter:
    """Adds the aliases an entry lacks, keeping names that a CDE already curated."""

    def __init__(self, existing: Sequence[Alias], report: SeedReport) -> None:
        self.report = report
        self.texts: set[tuple[str, Any, str, str]] = set()
        self.displays: set[tuple[str, Any, str]] = set()
        for alias in existing:
            target, key = _alias_target(alias)
            self.texts.add((target, key, alias.locale, alias.normalized))
            if alias.is_display:
                self.displays.add((target, key, alias.locale))

    def add(
        self,
        session: AsyncSession,
        target: str,
        key: Any,
        names: demo.Names,
        aliases: demo.Aliases,
    ) -> None:
        wanted = [(locale, text, True) for locale, text in names.items()]
        wanted += [(locale, text, False) for locale, texts in aliases.items() for text in texts]
        for locale, raw_text, display in wanted:
            i18n.check_message_locale(locale)
            text = normalize_text(raw_text)
            folded = fold(text)
            if (target, key, locale, folded) in self.texts:
                continue
            is_display = display and (target, key, locale) not in self.displays
            session.add(
                Alias(
                    locale=locale,
                    text=text,
                    normalized=folded,
                    is_display=is_display,
                    **{target: key},
                )
            )
            self.texts.add((target, key, locale, folded))
            if is_display:
                self.displays.add((target, key, locale))
            self.report.created["aliases"] += 1


def _alias_target(alias: Alias) -> tuple[str, Any]:
    for column in ("country_code", "market_id", "commodity_id", "variety_id", "unit_id"):
        value = getattr(alias, column)
        if value is not None:
            return column, value
    raise ValueError(f"alias {alias.id} names nothing")


def _check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}") from exc
    return name


async def load_demo_catalogue(session: AsyncSession) -> SeedReport:
    """Insert whatever part of the demo catalogue is missing. Safe to run any number of times."""
    report = SeedReport()
    aliases = _AliasWriter((await session.exec(select(Alias))).all(), report)

    countries = {c.code: c for c in (await session.exec(select(Country))).all()}
    for cs in demo.COUNTRIES:
        if cs.code not in countries:
            countries[cs.code] = Country(
                code=cs.code,
                name=cs.name,
                currency=cs.currency,
                timezone=_check_timezone(cs.timezone),
                default_locale=cs.default_locale,
            )
            session.add(countries[cs.code])
            report.created["countries"] += 1
    await session.flush()
    for cs in demo.COUNTRIES:
        aliases.add(session, "country_code", cs.code, cs.names, {})

    units = {u.code: u for u in (await session.exec(select(Unit))).all()}
    for us in demo.UNITS:
        if us.code not in units:
            units[us.code] = Unit(code=us.code, name=us.name, kg_factor=us.kg_factor)
            session.add(units[us.code])
            report.created["units"] += 1
    await session.flush()
    for us in demo.UNITS:
        aliases.add(session, "unit_id", units[us.code].id, us.names, us.aliases)

    markets = {m.slug: m for m in (await session.exec(select(Market))).all()}
    for ms in demo.MARKETS:
        if ms.slug not in markets:
            markets[ms.slug] = Market(
                slug=ms.slug,
                name=ms.name,
                kind=ms.kind,
                country_code=ms.country,
                timezone=_check_timezone(ms.timezone),
                currency=ms.currency,
                latitude=ms.latitude,
                longitude=ms.longitude,
                description=ms.description,
            )
            session.add(markets[ms.slug])
            report.created["markets"] += 1
    await session.flush()
    for ms in demo.MARKETS:
        aliases.add(session, "market_id", markets[ms.slug].id, ms.names, ms.aliases)

    commodities = {c.slug: c for c in (await session.exec(select(Commodity))).all()}
    for cs_ in demo.COMMODITIES:
        if cs_.slug not in commodities:
            commodities[cs_.slug] = Commodity(
                slug=cs_.slug, name=cs_.name, default_unit_id=units[cs_.default_unit].id
            )
            session.add(commodities[cs_.slug])
            report.created["commodities"] += 1
    await session.flush()
    varieties = {(v.commodity_id, v.slug): v for v in (await session.exec(select(Variety))).all()}
    for cs_ in demo.COMMODITIES:
        commodity = commodities[cs_.slug]
        assert commodity.id is not None
        aliases.add(session, "commodity_id", commodity.id, cs_.names, cs_.aliases)
        for vs in cs_.varieties:
            key = (commodity.id, vs.slug)
            if key not in varieties:
                varieties[key] = Variety(commodity_id=commodity.id, slug=vs.slug, name=vs.name)
                session.add(varieties[key])
                report.created["varieties"] += 1
    await session.flush()
    for cs_ in demo.COMMODITIES:
        commodity_id = commodities[cs_.slug].id
        assert commodity_id is not None
        for vs in cs_.varieties:
            variety = varieties[(commodity_id, vs.slug)]
            aliases.add(session, "variety_id", variety.id, vs.names, vs.aliases)
    _add_latin_names(session, aliases, countries, units, markets, commodities, varieties)
    await session.flush()
    return report


def _add_latin_names(
    session: AsyncSession,
    aliases: _AliasWriter,
    countries: dict[str, Country],
    units: dict[str, Unit],
    markets: dict[str, Market],
    commodities: dict[str, Commodity],
    varieties: dict[tuple[int, str], Variety],
) -> None:
    """Each demo entry's name in Latin letters, for Burmese, Khmer and Lao readers whose phones
    cannot draw the script (app.catalogue.latin)."""
    slugs = {c.id: slug for slug, c in commodities.items()}
    targets: list[tuple[str, Any, latin.LatinName | None]] = [
        ("country_code", code, latin.COUNTRIES.get(code)) for code in countries
    ]
    targets += [("unit_id", u.id, latin.UNITS.get(code)) for code, u in units.items()]
    targets += [("market_id", m.id, latin.MARKETS.get(slug)) for slug, m in markets.items()]
    targets += [("commodity_id", c.id, latin.COMMODITIES.get(s)) for s, c in commodities.items()]
    targets += [
        ("variety_id", v.id, latin.VARIETIES.get(f"{slugs[commodity_id]}/{slug}"))
        for (commodity_id, slug), v in varieties.items()
    ]
    for target, key, name in targets:
        if name is not None:  # entries a CDE added are not the demo's to name
            aliases.add(session, target, key, latin.names_for(name), {})


# --- resolving what people call things ---------------------------------------------------------


@dataclass
class CatalogueIndex:
    """Every catalogue entry by slug and by each of its aliases (folded), loaded once per
    request or import so that resolving a thousand CSV rows costs no extra queries."""

    commodities: dict[str, set[int]]
    varieties: dict[tuple[int, str], set[int]]
    markets: dict[str, set[int]]
    units: dict[str, set[int]]
    commodity_by_id: dict[int, Commodity]
    variety_by_id: dict[int, Variety]
    market_by_id: dict[int, Market]
    unit_by_id: dict[int, Unit]
    currency_of_country: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _one(found: set[int] | None, kind: str, text: str, names: dict[int, str]) -> int:
        if not found:
            raise InvalidInput(f"unknown {kind} {text!r}")
        if len(found) > 1:
            options = ", ".join(sorted(names[i] for i in found))
            raise InvalidInput(f"{kind} {text!r} is ambiguous: {options}")
        return next(iter(found))

    def commodity(self, text: str) -> Commodity:
        names = {i: c.slug for i, c in self.commodity_by_id.items()}
        return self.commodity_by_id[
            self._one(self.commodities.get(fold(text)), "commodity", text, names)
        ]

    def variety(self, commodity: Commodity, text: str) -> Variety:
        assert commodity.id is not None
        names = {i: v.slug for i, v in self.variety_by_id.items()}
        found = self.varieties.get((commodity.id, fold(text)))
        return self.variety_by_id[self._one(found, f"{commodity.slug} variety", text, names)]

    def market(self, text: str) -> Market:
        names = {i: m.slug for i, m in self.market_by_id.items()}
        return self.market_by_id[self._one(self.markets.get(fold(text)), "market", text, names)]

    def unit(self, text: str) -> Unit:
        names = {i: u.code for i, u in self.unit_by_id.items()}
        return self.unit_by_id[self._one(self.units.get(fold(text)), "unit", text, names)]


async def load_index(session: AsyncSession) -> CatalogueIndex:
    commodities = {c.id: c for c in (await session.exec(select(Commodity))).all() if c.id}
    varieties = {v.id: v for v in (await session.exec(select(Variety))).all() if v.id}
    markets = {m.id: m for m in (await session.exec(select(Market))).all() if m.id}
    units = {u.id: u for u in (await session.exec(select(Unit))).all() if u.id}
    currencies = {c.code: c.currency for c in (await session.exec(select(Country))).all()}
    index = CatalogueIndex(
        defaultdict(set),
        defaultdict(set),
        defaultdict(set),
        defaultdict(set),
        commodities,
        varieties,
        markets,
        units,
        currencies,
    )
    for i, c in commodities.items():
        index.commodities[fold(c.slug)].add(i)
        index.commodities[fold(c.name)].add(i)
    for i, v in varieties.items():
        index.varieties[(v.commodity_id, fold(v.slug))].add(i)
        index.varieties[(v.commodity_id, fold(v.name))].add(i)
    for i, m in markets.items():
        index.markets[fold(m.slug)].add(i)
        index.markets[fold(m.name)].add(i)
    for i, u in units.items():
        index.units[fold(u.code)].add(i)
        index.units[fold(u.name)].add(i)
    for alias in (await session.exec(select(Alias))).all():
        if alias.commodity_id:
            index.commodities[alias.normalized].add(alias.commodity_id)
        elif alias.variety_id and alias.variety_id in varieties:
            key = (varieties[alias.variety_id].commodity_id, alias.normalized)
            index.varieties[key].add(alias.variety_id)
        elif alias.market_id:
            index.markets[alias.normalized].add(alias.market_id)
        elif alias.unit_id:
            index.units[alias.normalized].add(alias.unit_id)
    return index
