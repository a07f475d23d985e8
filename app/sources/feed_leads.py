"""Buyer-lead feed entries into pending leads: the commodity, quantity and price read from the
entry's words, for a CDE to complete and verify before any producer hears of it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.actor import Actor
from app.catalogue.service import country_today, load_index
from app.leads.models import BuyerLead, LeadStatus
from app.prices.currencies import known_currencies
from app.sources.ingest import Counts, external_key
from app.sources.mappings import FeedMapping
from app.sources.models import Source
from app.sources.names import NameMapper
from app.sources.records import LeadRecord

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
    actor: Actor,
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
    today = await country_today(session, source.country_code)
    mapping = FeedMapping.model_validate(source.mapping)
    kind, days = mapping.kind, mapping.expires_days
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
            contact=(mapping.contact or record.link or source.url)[:200],
            country_code=source.country_code,
            status=LeadStatus.PENDING,
            expires_on=min(expires, today + dt.timedelta(days=90)),
            note=text[:500],
            created_by=actor.name,
            source_id=source.id,
            external_key=key,
            link=record.link[:500] if record.link else None,
        )
        session.add(lead)
        counts.inserted += 1
    await session.flush()
