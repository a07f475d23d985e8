"""Producers as staff read them: listed, searched, and shown with their addresses (masked for
who may not see them) and subscriptions."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.models import Role
from app.accounts.service import Staff
from app.catalogue.service import CatalogueIndex, load_index
from app.core.masking import mask_chat_id, mask_phone
from app.core.pagination import MAX_LIMIT, Page
from app.producers.models import (
    Address,
    Producer,
    ProducerKind,
    ProducerPublic,
    ProducerStatus,
    Subscription,
    SubscriptionPublic,
)
from app.text.digits import to_ascii_digits
from app.text.normalize import normalize_text


async def to_public(
    session: AsyncSession, producers: Sequence[Producer], *, staff: Staff
) -> list[ProducerPublic]:
    ids = [p.id for p in producers if p.id is not None]
    addresses: dict[int, list[str]] = defaultdict(list)
    subscriptions: dict[int, list[Subscription]] = defaultdict(list)
    if ids:
        for a in (
            await session.exec(select(Address).where(col(Address.producer_id).in_(ids)))
        ).all():
            addresses[a.producer_id].append(a.urn)
        for s in (
            await session.exec(select(Subscription).where(col(Subscription.producer_id).in_(ids)))
        ).all():
            subscriptions[s.producer_id].append(s)
    index = await load_index(session) if subscriptions else None
    out = []
    for p in producers:
        assert p.id is not None
        phone = next((u[4:] for u in addresses[p.id] if u.startswith("tel:")), None)
        chat = next((int(u[9:]) for u in addresses[p.id] if u.startswith("telegram:")), None)
        shown_chat: int | str | None = chat
        if not staff.sees_personal_data(p.country_code):
            phone = phone and mask_phone(phone)
            shown_chat = None if chat is None else mask_chat_id(chat)
        out.append(
            ProducerPublic(
                id=p.id,
                name=p.name,
                country=p.country_code,
                locale=p.locale,
                phone=phone,
                telegram_chat_id=shown_chat,
                kind=p.kind,
                script=p.script,
                digits=p.digits,
                plain_sms=p.plain_sms,
                quiet_hours=p.quiet_hours,
                roles=p.roles,
                daily_cap=p.daily_cap,
                status=p.status,
                consent_at=p.consent_at,
                consent_channel=p.consent_channel,
                stopped_at=p.stopped_at,
                created_at=p.created_at,
                subscriptions=[
                    _subscription_public(s, index) for s in subscriptions[p.id] if index
                ],
            )
        )
    return out


def _subscription_public(s: Subscription, index: CatalogueIndex) -> SubscriptionPublic:
    assert s.id is not None
    return SubscriptionPublic(
        id=s.id,
        commodity=index.commodity_by_id[s.commodity_id].slug,
        variety=index.variety_by_id[s.variety_id].slug if s.variety_id else None,
        market=index.market_by_id[s.market_id].slug if s.market_id else None,
        rule=s.rule,
        threshold=s.threshold,
        digest_time=s.digest_time,
        leads=s.leads,
    )


@dataclass(frozen=True)
class ProducerFilter:
    """Which producers a list shows. `search` is part of a name, phone or Telegram chat id;
    `commodity` and `market` (slugs or aliases) keep the producers who follow that commodity,
    or a commodity at that market."""

    country: str | None = None
    status: ProducerStatus | None = None
    kind: ProducerKind | None = None
    search: str | None = None
    commodity: str | None = None
    market: str | None = None


async def list_producers(
    session: AsyncSession,
    *,
    staff: Staff,
    filters: ProducerFilter,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[ProducerPublic]:
    """Newest first, in the staff member's countries."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Producer).order_by(col(Producer.id).desc()).limit(limit + 1)
    countries = staff.visible_countries(filters.country)
    if countries is not None:
        query = query.where(col(Producer.country_code).in_(countries))
    if filters.search and filters.search.strip():
        query = query.where(_matches(filters.search, phones=staff.role is not Role.VIEWER))
    if filters.status:
        query = query.where(Producer.status == filters.status)
    if filters.kind:
        query = query.where(Producer.kind == filters.kind)
    if filters.commodity or filters.market:
        query = query.where(
            await _follows(session, commodity=filters.commodity, market=filters.market)
        )
    if cursor is not None:
        query = query.where(col(Producer.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=await to_public(session, rows, staff=staff),
        next_cursor=rows[-1].id if more and rows else None,
    )


async def _follows(
    session: AsyncSession, *, commodity: str | None, market: str | None
) -> ColumnElement[bool]:
    """Producers with a subscription to `commodity` and/or at `market` (an unknown name is
    refused, not read as "nobody")."""
    index = await load_index(session)
    followed = select(Subscription.producer_id)
    if commodity:
        followed = followed.where(Subscription.commodity_id == index.commodity(commodity).id)
    if market:
        followed = followed.where(Subscription.market_id == index.market(market).id)
    return col(Producer.id).in_(followed)


_PHONE_TEXT = re.compile(r"[+\d\s\-().]+")


def _matches(search: str, *, phones: bool) -> ColumnElement[bool]:
    """Producers whose name contains `search` (any case), or, for staff who see phone numbers
    (viewers see them masked: a search would unmask them), whose phone contains its digits as
    written in any form: `09 250 123`, `+95 9 250 123`, Burmese digits, or whose Telegram
    chat id contains those digits (a number alone is looked for among numbers only)."""
    text = normalize_text(search, max_chars=120)
    name = col(Producer.name).ilike(f"%{_escape_like(text)}%", escape="\\")
    digits = re.sub(r"\D", "", to_ascii_digits(text))
    if not phones or len(digits) < 4 or not _PHONE_TEXT.fullmatch(to_ascii_digits(text)):
        return name
    # National numbers start with a trunk 0 that E.164 drops: 09 250... is +959250...
    forms = {digits, digits[1:]} if digits.startswith("0") else {digits}
    urns = select(Address.producer_id).where(
        or_(
            *(col(Address.urn).like(f"tel:%{form}%") for form in forms),
            # A Telegram chat id is digits too, written whole or in part.
            col(Address.urn).like(f"telegram:%{digits}%"),
        )
    )
    # Text made only of a number's characters names no one: the name's scan is left out.
    return col(Producer.id).in_(urns)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def names_of(session: AsyncSession, ids: Collection[int], *, staff: Staff) -> dict[int, str]:
    """Producers' names by id, for a page that names the producers a record is about (the
    audit trail): only those of countries the reader sees, as a list of them would show."""
    if not ids:
        return {}
    rows = await session.exec(
        select(Producer.id, Producer.name, Producer.country_code).where(
            col(Producer.id).in_(list(ids))
        )
    )
    return {i: name for i, name, country in rows if i is not None and staff.can_see(country)}
