"""Catalogue names as sources write them: matching through the aliases (within a country),
and creating an entry from what a source says about a name a CDE chose to add."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.models import Alias, Commodity, Country, Market, MarketKind, Unit
from app.catalogue.service import CatalogueIndex
from app.sources.mappings import WfpMapping
from app.sources.models import NameKind, Source, SourceKind
from app.text.normalize import fold, normalize_text


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

    def product(self, commodity: str, variety: str | None) -> tuple[int, int | None] | None:
        """A row's commodity and variety as (commodity id, variety id). With a variety column,
        "Rice" + "Paw San" is the variety Paw San of rice, or whatever "Rice (Paw San)" names
        (an alias a CDE gave it); an unknown variety is unmapped, never silently dropped."""
        if not variety:
            return self.commodity(commodity)
        combined = self.commodity(product_name(commodity, variety))
        if combined is not None:
            return combined
        found = self.commodity(commodity)
        if found is None or found[1] is not None:
            return None
        ids = self.index.varieties.get((found[0], self.fold(variety)), set())
        return (found[0], next(iter(ids))) if len(ids) == 1 else None

    def variety_names(self) -> Iterable[str]:
        return self._varieties.keys()

    def unit(self, name: str) -> int | None:
        folded = self.fold(name)
        ids = self.index.units.get(folded, set())
        if not ids and folded.startswith("1 "):  # "1 viss", "1 kg": one of the unit itself
            ids = self.index.units.get(folded[2:].strip(), set())
        return next(iter(ids)) if len(ids) == 1 else None


def product_name(commodity: str, variety: str | None) -> str:
    """How a commodity with a variety is listed for review: "Rice (Paw San)"."""
    return f"{commodity} ({variety})" if variety else commodity


# --- creating catalogue entries from what a source says -----------------------------------------


def _kg_factor(unit_name: str) -> Decimal | None:
    """WFP writes weights as "KG", "1.6 KG", "10 KG", "500 G"."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)?\s*(kg|g)\s*", unit_name.casefold())
    if not found:
        return None
    amount = Decimal(found.group(1) or 1)
    return amount if found.group(2) == "kg" else amount / 1000


def add_alias(session: AsyncSession, target: str, key: Any, text: str) -> None:
    """The name as the source writes it, in English, normalised as every alias is."""
    clean = normalize_text(text)[:120]
    session.add(Alias(locale="en", text=clean, normalized=fold(clean)[:120], **{target: key}))


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
        add_alias(session, "unit_id", unit.id, name)
        return code
    if kind is NameKind.COMMODITY:
        slug = await _free_slug(session, Commodity, "slug", slugify(name))
        commodity = Commodity(slug=slug, name=name, default_unit_id=default_unit_id)
        session.add(commodity)
        await session.flush()
        add_alias(session, "commodity_id", commodity.id, name)
        return slug
    if source.country_code is None:
        raise ValueError("a market needs its source's country")
    country = await session.get(Country, source.country_code)
    assert country is not None
    slug = slugify(name)
    if info.get("admin2") and await _taken(session, Market, "slug", slug):
        slug = f"{slug}-{slugify(info['admin2'])}"  # two markets of one name: say where
    slug = await _free_slug(session, Market, "slug", slug)
    market_kind = (
        WfpMapping.model_validate(source.mapping).market_kind
        if source.kind is SourceKind.WFP_HDX
        else MarketKind.RETAIL
    )
    market = Market(
        slug=slug,
        name=name,
        kind=market_kind,
        country_code=country.code,
        timezone=country.timezone,
        currency=country.currency,
        latitude=_float(info.get("latitude")),
        longitude=_float(info.get("longitude")),
        description=", ".join(str(info[k]) for k in ("admin2", "admin1") if info.get(k)) or None,
    )
    session.add(market)
    await session.flush()
    add_alias(session, "market_id", market.id, name)
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
