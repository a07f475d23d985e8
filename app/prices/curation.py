"""Price curation: submit, validate, flag outliers, publish, reject and correct prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff, get_in_scope
from app.catalogue.models import Commodity, Market, Unit, Variety
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock
from app.core.amounts import check_amount
from app.core.errors import Conflict, InvalidInput
from app.prices import plausibility
from app.prices.duplicates import refuse_duplicate
from app.prices.models import PriceCreate, PriceIn, PriceObservation, PriceStatus, PriceUpdate
from app.prices.publishing import PriceAlerts
from app.text.normalize import normalize_text

MAX_AGE_DAYS = 365


class ImplausiblePrice(InvalidInput):
    """A price far from its series that nobody confirmed, with what it was compared with."""

    def __init__(self, detail: str, *, median: Decimal, prices: int) -> None:
        super().__init__(detail)
        self.median = median
        self.prices = prices


class ChangedMeanwhile(Conflict):
    """The price changed after the corrector read it: applying their correction would overwrite
    a change they have not seen."""


@dataclass(frozen=True)
class Resolved:
    """A submitted price with its catalogue references resolved and every value checked."""

    commodity: Commodity
    variety: Variety | None
    market: Market
    unit: Unit


def validate(data: PriceIn, index: CatalogueIndex, *, check_age: bool = True) -> Resolved:
    """Everything a CDE can get wrong, each with a message that says what and how to fix it.
    `check_age=False` when correcting an older price (one a source imported) in place."""
    commodity = index.commodity(data.commodity)
    variety = index.variety(commodity, data.variety) if data.variety else None
    market = index.market(data.market)
    unit = index.unit(data.unit)
    for name in ("price", "price_min", "price_max"):
        check_amount(name, getattr(data, name))
    if data.price_min is not None and data.price_min > data.price:
        raise InvalidInput(f"price_min {data.price_min} is above the price {data.price}")
    if data.price_max is not None and data.price_max < data.price:
        raise InvalidInput(f"price_max {data.price_max} is below the price {data.price}")
    today = clock.today(market.timezone)
    if data.observed_on > today:
        raise InvalidInput(
            f"observed_on {data.observed_on} is in the future (today in {market.slug} is {today})"
        )
    if check_age and data.observed_on < today - dt.timedelta(days=MAX_AGE_DAYS):
        raise InvalidInput(f"observed_on {data.observed_on} is more than a year ago")
    return Resolved(commodity, variety, market, unit)


async def history_of(session: AsyncSession, price: PriceObservation) -> list[Decimal]:
    """The published prices of the price's series it is judged against (plausibility's window)."""
    since = plausibility.window_start(price.observed_on)
    query = select(col(PriceObservation.price)).where(
        PriceObservation.commodity_id == price.commodity_id,
        PriceObservation.market_id == price.market_id,
        PriceObservation.unit_id == price.unit_id,
        PriceObservation.currency == price.currency,
        PriceObservation.status == PriceStatus.PUBLISHED,
        col(PriceObservation.observed_on) >= since,
        col(PriceObservation.observed_on) <= price.observed_on,
    )
    query = query.where(
        col(PriceObservation.variety_id).is_(None)
        if price.variety_id is None
        else PriceObservation.variety_id == price.variety_id
    )
    if price.id is not None:
        query = query.where(PriceObservation.id != price.id)
    return [Decimal(p) for p in (await session.exec(query)).all()]


async def _flag(session: AsyncSession, price: PriceObservation) -> list[Decimal]:
    history = await history_of(session, price)
    price.outlier = plausibility.is_outlier(Decimal(price.price), history)
    return history


def _refuse_unconfirmed_outlier(
    price: PriceObservation, history: list[Decimal], *, resend: str
) -> None:
    """422 for an implausible price nobody confirmed; `resend` says exactly what to send if it
    is right after all, for the request that was refused."""
    raise ImplausiblePrice(
        f"implausible price: {plausibility.explain(Decimal(price.price), history)}. "
        f"Check it; if it is right, {resend}",
        median=plausibility.median(history),
        prices=len(history),
    )


async def _publish(
    session: AsyncSession, prices: Sequence[PriceObservation], actor: Actor, alerts: PriceAlerts
) -> None:
    """Publish, audit, and alert the producers who follow each price."""
    now = clock.utcnow()
    befores = [audit.snapshot(p) for p in prices]
    for price in prices:
        price.status = PriceStatus.PUBLISHED
        price.reviewed_by = actor.name
        price.reviewed_at = price.updated_at = now
        session.add(price)
    await session.flush()
    for price, before in zip(prices, befores, strict=True):
        assert price.id is not None
        audit.record(
            session,
            actor=actor,
            action="price.publish",
            entity="price",
            entity_id=price.id,
            country=price.country_code,
            before=before,
            after=audit.snapshot(price),
        )
        await alerts.price_published(session, price=price)


def build_price(
    data: PriceCreate, resolved: Resolved, actor: Actor, source: str, external_key: str | None
) -> PriceObservation:
    return PriceObservation(
        commodity_id=resolved.commodity.id,  # type: ignore[arg-type]
        variety_id=resolved.variety.id if resolved.variety else None,
        market_id=resolved.market.id,  # type: ignore[arg-type]
        country_code=resolved.market.country_code,
        price=data.price,
        price_min=data.price_min,
        price_max=data.price_max,
        currency=data.currency,
        unit_id=resolved.unit.id,  # type: ignore[arg-type]
        price_type=data.price_type,
        observed_on=data.observed_on,
        source=source,
        created_by=actor.name,
        external_key=external_key,
        note=normalize_text(data.note, max_chars=500) if data.note else None,
    )


async def store_prices(
    session: AsyncSession,
    prices: Sequence[PriceObservation],
    actor: Actor,
    *,
    publish: bool,
    alerts: PriceAlerts,
) -> None:
    """Insert checked prices with their audit entries; publish them too if asked."""
    session.add_all(prices)
    await session.flush()
    for price in prices:
        assert price.id is not None
        audit.record(
            session,
            actor=actor,
            action="price.create",
            entity="price",
            entity_id=price.id,
            country=price.country_code,
            after=audit.snapshot(price),
        )
    if publish:
        await _publish(session, prices, actor, alerts)


async def create_price(
    session: AsyncSession,
    *,
    data: PriceCreate,
    staff: Staff,
    alerts: PriceAlerts,
    source: str = "api",
    external_key: str | None = None,
    index: CatalogueIndex | None = None,
) -> PriceObservation:
    """Store a submitted price as pending, or published at once when a CDE asks for it."""
    staff.require_writer()
    resolved = validate(data, index or await load_index(session))
    staff.check_country(resolved.market.country_code, f"market {resolved.market.slug}")
    return await _submit(session, data, resolved, staff.actor, alerts, source, external_key)


async def report_price(
    session: AsyncSession,
    *,
    data: PriceCreate,
    reporter: Actor,
    alerts: PriceAlerts,
    source: str,
    index: CatalogueIndex | None = None,
) -> PriceObservation:
    """A field reporter's price, sent by themselves: no token stands behind it, so the caller
    has decided that they may report at that market (their own country)."""
    resolved = validate(data, index or await load_index(session))
    return await _submit(session, data, resolved, reporter, alerts, source, None)


async def _submit(
    session: AsyncSession,
    data: PriceCreate,
    resolved: Resolved,
    actor: Actor,
    alerts: PriceAlerts,
    source: str,
    external_key: str | None,
) -> PriceObservation:
    if external_key is not None:
        existing = await session.exec(
            select(PriceObservation.id).where(PriceObservation.external_key == external_key)
        )
        if existing.first() is not None:
            raise Conflict(f"a price with external key {external_key!r} was already imported")
    price = build_price(data, resolved, actor, source, external_key)
    await refuse_duplicate(session, price)
    history = await _flag(session, price)
    if data.publish and price.outlier and not data.confirm_outlier:
        _refuse_unconfirmed_outlier(
            price,
            history,
            resend='send the same request again with "confirm_outlier": true added '
            '(or without "publish" to leave it pending for review)',
        )
    try:
        async with session.begin_nested():
            await store_prices(session, [price], actor, publish=data.publish, alerts=alerts)
    except IntegrityError:
        # The same price was stored by a request racing this one: name it, as above.
        await refuse_duplicate(session, price)
        raise
    return price


async def get_price(
    session: AsyncSession, *, price_id: int, staff: Staff, for_update: bool = False
) -> PriceObservation:
    return await get_in_scope(
        session, PriceObservation, price_id, staff=staff, noun="price", for_update=for_update
    )


async def publish_price(
    session: AsyncSession,
    *,
    price_id: int,
    staff: Staff,
    alerts: PriceAlerts,
    confirm_outlier: bool = False,
) -> PriceObservation:
    staff.require_writer()
    price = await get_price(session, price_id=price_id, staff=staff, for_update=True)
    if price.status is not PriceStatus.PENDING:
        raise Conflict(f"price {price_id} is {price.status}; only pending prices can be published")
    history = await _flag(session, price)  # the series may have moved since it was submitted
    if price.outlier and not confirm_outlier:
        _refuse_unconfirmed_outlier(
            price,
            history,
            resend=f"publish it with POST /api/v1/prices/{price_id}/publish and the JSON body "
            '{"confirm_outlier": true}',
        )
    await _publish(session, [price], staff.actor, alerts)
    return price


async def reject_price(
    session: AsyncSession, *, price_id: int, staff: Staff, reason: str
) -> PriceObservation:
    """Reject a pending price, or withdraw a published one that turned out to be wrong."""
    staff.require_writer()
    price = await get_price(session, price_id=price_id, staff=staff, for_update=True)
    if price.status is PriceStatus.REJECTED:
        raise Conflict(f"price {price_id} is already rejected")
    before = audit.snapshot(price)
    price.status = PriceStatus.REJECTED
    price.reject_reason = reason
    price.reviewed_by = staff.name
    price.reviewed_at = price.updated_at = clock.utcnow()
    await audit.save(
        session,
        price,
        actor=staff,
        action="price.reject",
        entity="price",
        country=price.country_code,
        before=before,
    )
    return price


async def version_of(session: AsyncSession, *, price_id: int) -> int:
    """The version of a price as a corrector reads it: the number of its newest audit entry
    (every change writes one), 0 while it has none (a source's rows are inserted in bulk)."""
    return await audit.latest_id(session, entity="price", entity_id=price_id) or 0


async def correct_price(
    session: AsyncSession,
    *,
    price_id: int,
    staff: Staff,
    data: PriceUpdate,
    based_on: int | None = None,
) -> PriceObservation:
    """Apply a correction. The audit log keeps every earlier version of a published price.
    `based_on`: the price's `version_of` when the corrector read it (the console's form carries
    it); if the price changed since, the correction is refused, not applied over a change they
    have not seen."""
    staff.require_writer()
    price = await get_price(session, price_id=price_id, staff=staff, for_update=True)
    if price.status is PriceStatus.REJECTED:
        raise Conflict(f"price {price_id} is rejected; submit a new price instead")
    if based_on is not None:
        # Read under the price's lock: a correction racing this one has either committed its
        # audit entry already or waits for this transaction to end.
        latest = await version_of(session, price_id=price_id)
        if latest != based_on:
            raise ChangedMeanwhile(
                f"price {price_id} changed after it was read (version {based_on}, now {latest}); "
                "read it again and correct what is still wrong"
            )
    changes = data.model_dump(exclude_unset=True, exclude={"confirm_outlier"})
    if not changes:
        raise InvalidInput("nothing to change: send at least one field")
    index = await load_index(session)
    merged = PriceIn(
        commodity=index.commodity_by_id[price.commodity_id].slug,
        variety=index.variety_by_id[price.variety_id].slug if price.variety_id else None,
        market=index.market_by_id[price.market_id].slug,
        **{**_editable(price, index), **changes},
    )
    resolved = validate(merged, index, check_age="observed_on" in changes)
    before = audit.snapshot(price)
    price.price, price.price_min, price.price_max = merged.price, merged.price_min, merged.price_max
    price.currency, price.unit_id = merged.currency, resolved.unit.id  # type: ignore[assignment]
    price.price_type, price.observed_on = merged.price_type, merged.observed_on
    price.note = normalize_text(merged.note, max_chars=500) if merged.note else None
    price.updated_at = clock.utcnow()
    await refuse_duplicate(session, price)
    history = await _flag(session, price)
    if price.status is PriceStatus.PUBLISHED and price.outlier and not data.confirm_outlier:
        _refuse_unconfirmed_outlier(
            price, history, resend='send this correction again with "confirm_outlier": true added'
        )
    await audit.save(
        session,
        price,
        actor=staff,
        action="price.correct",
        entity="price",
        country=price.country_code,
        before=before,
    )
    return price


def _editable(price: PriceObservation, index: CatalogueIndex) -> dict[str, Any]:
    return {
        "price": price.price,
        "price_min": price.price_min,
        "price_max": price.price_max,
        "currency": price.currency,
        "unit": index.unit_by_id[price.unit_id].code,
        "price_type": price.price_type,
        "observed_on": price.observed_on,
        "note": price.note,
    }
