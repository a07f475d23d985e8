"""Alerts as the admin API and the rest of the service see them: previews, sending notices, and
reading or steering broadcasts and deliveries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.accounts.service import Staff, get_in_scope
from app.alerts import fanout, triggers
from app.alerts.content import Variant, contact_forms
from app.alerts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastPublic,
    BroadcastText,
    BudgetPublic,
    ChannelName,
    Delivery,
    DeliveryPublic,
    DeliverySelection,
    DeliveryStatus,
    PreviewIn,
    PreviewOut,
    SmsSpend,
)
from app.alerts.preview import masked
from app.catalogue.models import Country
from app.core import clock
from app.core.config import Settings
from app.core.db import run_core
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.masking import mask_numbers, mask_text, mask_urn
from app.core.pagination import MAX_LIMIT, Page
from app.leads.models import BuyerLead, LeadStatus
from app.notices import service as notices
from app.notices.models import Notice, NoticeStatus
from app.prices.models import PriceObservation, PriceStatus
from app.producers.models import Address

# --- previews and notices -----------------------------------------------------------------------


async def preview(
    session: AsyncSession, *, data: PreviewIn, staff: Staff, settings: Settings
) -> PreviewOut:
    audience = await _audience(session, data, staff)
    return masked(await fanout.preview(session, audience, settings), audience, staff)


async def _audience(session: AsyncSession, data: PreviewIn, staff: Staff) -> fanout.Audience:
    if data.price_id is not None:
        price = await get_in_scope(
            session, PriceObservation, data.price_id, staff=staff, noun="price"
        )
        if price.status is not PriceStatus.PUBLISHED:
            raise Conflict(f"price {price.id} is {price.status}; only published prices alert")
        return await fanout.price_audience(session, price)
    if data.lead_id is not None:
        lead = await get_in_scope(session, BuyerLead, data.lead_id, staff=staff, noun="lead")
        if lead.status is not LeadStatus.VERIFIED:
            raise Conflict(f"lead {lead.id} is {lead.status}; only verified leads are sent")
        return await fanout.lead_audience(session, lead)
    if data.notice is not None:
        draft = await notices.build_notice(session, data=data.notice, staff=staff)
        return await fanout.notice_audience(session, draft)
    assert data.notice_id is not None
    notice = await notices.get_notice(session, notice_id=data.notice_id, staff=staff)
    return await fanout.notice_audience(session, notice)


async def send_notice(
    session: AsyncSession, *, notice_id: int, staff: Staff, settings: Settings
) -> Broadcast:
    staff.require_writer()
    notice = await notices.get_notice(session, notice_id=notice_id, staff=staff)
    return await _send_notice(session, notice, actor=staff.actor, settings=settings)


# Who sends a scheduled notice when its time comes: the staff member who scheduled it was
# checked then; at send time no token stands behind the job.
SCHEDULER = Actor.system("scheduler")


async def _send_notice(
    session: AsyncSession, notice: Notice, *, actor: Actor, settings: Settings
) -> Broadcast:
    await notices.mark_sent(session, notice=notice, actor=actor)
    return await triggers.notice_sent(
        session, notice=notice, settings=settings, created_by=actor.name
    )


async def send_due_notices(
    session: AsyncSession, settings: Settings, *, now: dt.datetime | None = None
) -> int:
    """Scheduled notices whose send time has come."""
    now = now or clock.utcnow()
    due = (
        await session.exec(
            select(Notice).where(
                Notice.status == NoticeStatus.SCHEDULED, col(Notice.send_at) <= now
            )
        )
    ).all()
    for notice in due:
        await _send_notice(session, notice, actor=SCHEDULER, settings=settings)
    return len(due)


@dataclass(frozen=True)
class SentNotice:
    notice: Notice
    sent_at: dt.datetime  # when its broadcast was created: the moment it went out


async def sent_notice(session: AsyncSession, *, notice_id: int) -> SentNotice:
    """A notice that went out, for anyone to read. An unknown id and a draft, scheduled or
    cancelled notice are the same NotFound, so a reader cannot learn that an unsent one exists."""
    found = (
        await session.exec(
            select(Notice, Broadcast.created_at)
            .join(Broadcast, col(Broadcast.notice_id) == col(Notice.id))
            .where(Notice.id == notice_id, Notice.status == NoticeStatus.SENT)
            .order_by(col(Broadcast.id))
            .limit(1)
        )
    ).first()
    if found is None:
        raise NotFound(f"no sent notice {notice_id}")
    return SentNotice(notice=found[0], sent_at=found[1])


# --- broadcasts ---------------------------------------------------------------------------------


def _visible(staff: Staff, countries: list[str]) -> bool:
    return all(staff.can_see(c) for c in countries)


async def get_broadcast(
    session: AsyncSession, *, broadcast_id: int, staff: Staff
) -> BroadcastPublic:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id}")
    for code in broadcast.countries:
        staff.check_country(code, f"broadcast {broadcast_id}")
    return (await _publics(session, [broadcast]))[0]


async def _publics(session: AsyncSession, broadcasts: list[Broadcast]) -> list[BroadcastPublic]:
    ids = [b.id for b in broadcasts]
    rows = (
        await run_core(
            session,
            sa.select(
                col(Delivery.broadcast_id),
                col(Delivery.status),
                sa.func.count(),
                sa.func.sum(col(Delivery.cost)),
            )
            .where(col(Delivery.broadcast_id).in_(ids))
            .group_by(col(Delivery.broadcast_id), col(Delivery.status)),
        )
    ).all()
    counts: dict[int, dict[str, int]] = {i or 0: {} for i in ids}
    costs: dict[int, Decimal] = {i or 0: Decimal(0) for i in ids}
    for broadcast_id, status, count, cost in rows:
        counts[broadcast_id][str(status)] = count
        if status not in (DeliveryStatus.MERGED, DeliveryStatus.CANCELLED):
            costs[broadcast_id] += Decimal(cost or 0)
    return [
        BroadcastPublic(
            id=b.id or 0,
            kind=b.kind,
            key=b.key,
            countries=b.countries,
            price_id=b.price_id,
            lead_id=b.lead_id,
            notice_id=b.notice_id,
            urgent=b.urgent,
            created_by=b.created_by,
            created_at=b.created_at,
            counts=counts[b.id or 0],
            cost=costs[b.id or 0].quantize(Decimal("0.0001")),
        )
        for b in broadcasts
    ]


async def list_broadcasts(
    session: AsyncSession,
    *,
    staff: Staff,
    kind: BroadcastKind | None = None,
    price_id: int | None = None,
    lead_id: int | None = None,
    notice_id: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[BroadcastPublic]:
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Broadcast).order_by(col(Broadcast.id).desc())
    filters: list[Any] = []
    if kind:
        filters.append(Broadcast.kind == kind)
    for column, value in (
        (Broadcast.price_id, price_id),
        (Broadcast.lead_id, lead_id),
        (Broadcast.notice_id, notice_id),
    ):
        if value is not None:
            filters.append(column == value)
    if cursor is not None:
        filters.append(col(Broadcast.id) < cursor)
    shown: list[Broadcast] = []
    more = False
    # Country lists are JSON, so scope is applied here, stopping at a page.
    for broadcast in (await session.exec(query.where(*filters))).all():
        if _visible(staff, broadcast.countries):
            if len(shown) == limit:
                more = True
                break
            shown.append(broadcast)
    return Page(
        items=await _publics(session, shown),
        next_cursor=shown[-1].id if more and shown else None,
    )


# --- deliveries ---------------------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession,
    *,
    staff: Staff,
    status: DeliveryStatus | None = None,
    channel: ChannelName | None = None,
    producer_id: int | None = None,
    broadcast_id: int | None = None,
    country: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[DeliveryPublic]:
    limit = max(1, min(limit, MAX_LIMIT))
    query = (
        select(Delivery, Address.urn, BroadcastText, Broadcast)
        .outerjoin(Address, col(Address.id) == Delivery.address_id)
        .join(BroadcastText, col(BroadcastText.id) == Delivery.text_id)
        .join(Broadcast, col(Broadcast.id) == Delivery.broadcast_id)
        .order_by(col(Delivery.id).desc())
        .limit(limit + 1)
    )
    countries = staff.visible_countries(country)
    if countries is not None:
        query = query.where(col(Delivery.country_code).in_(countries))
    if status:
        query = query.where(Delivery.status == status)
    if channel:
        query = query.where(Delivery.channel == channel)
    if producer_id is not None:
        query = query.where(Delivery.producer_id == producer_id)
    if broadcast_id is not None:
        query = query.where(Delivery.broadcast_id == broadcast_id)
    if cursor is not None:
        query = query.where(col(Delivery.id) < cursor)
    rows = (await session.exec(query)).all()
    items = [_delivery_public(d, urn, t, b, staff) for d, urn, t, b in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


def _delivery_public(
    d: Delivery, urn: str | None, shown: BroadcastText, broadcast: Broadcast, staff: Staff
) -> DeliveryPublic:
    urn = urn or d.to_urn or ""
    text, reason = shown.text, d.reason
    if not staff.sees_personal_data(d.country_code):
        reason = reason and mask_numbers(reason)
        urn = mask_urn(urn)
        variant = Variant(shown.locale, shown.script, shown.digits, shown.plain_sms, shown.channel)
        text = mask_text(text, contact_forms(broadcast.kind, broadcast.payload, variant))
    return DeliveryPublic(
        id=d.id or 0,
        broadcast_id=d.broadcast_id,
        producer_id=d.producer_id,
        urn=urn,
        country=d.country_code,
        channel=d.channel,
        status=d.status,
        text=text,
        silent=d.silent,
        segments=d.segments,
        cost=Decimal(d.cost),
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        reason=reason,
        sent_at=d.sent_at,
        delivered_at=d.delivered_at,
        merged_into=d.merged_into,
        fallback_of=d.fallback_of,
        created_at=d.created_at,
    )


async def _select(
    session: AsyncSession,
    selection: DeliverySelection,
    staff: Staff,
    statuses: tuple[DeliveryStatus, ...],
) -> list[Delivery]:
    query = select(Delivery).where(col(Delivery.status).in_(statuses))
    if selection.ids:
        query = query.where(col(Delivery.id).in_(selection.ids))
    if selection.country is not None:
        query = query.where(Delivery.country_code == selection.country.strip().upper())
    if selection.broadcast is not None:
        query = query.where(Delivery.broadcast_id == selection.broadcast)
    chosen = list((await session.exec(query)).all())
    for delivery in chosen:
        staff.check_country(delivery.country_code, f"delivery {delivery.id}")
    return chosen


async def release_held(session: AsyncSession, *, selection: DeliverySelection, staff: Staff) -> int:
    """Send held SMS despite the day's budget: an admin's decision, audited by count."""
    staff.require_role(Role.ADMIN)
    now = clock.utcnow()
    chosen = await _select(session, selection, staff, (DeliveryStatus.HELD,))
    for delivery in chosen:
        delivery.status = DeliveryStatus.QUEUED
        delivery.budget_override = True
        delivery.next_attempt_at = now
        delivery.reason = f"released by {staff.name}"
        delivery.updated_at = now
        session.add(delivery)
    await session.flush()
    return len(chosen)


CANCELLABLE = (
    DeliveryStatus.QUEUED,
    DeliveryStatus.ERRORED,
    DeliveryStatus.HELD,
    DeliveryStatus.MERGED,
)


async def cancel(session: AsyncSession, *, selection: DeliverySelection, staff: Staff) -> int:
    """Deliveries not yet handed to a channel; those being sent right now cannot be recalled."""
    staff.require_writer()
    now = clock.utcnow()
    chosen = await _select(session, selection, staff, CANCELLABLE)
    if not chosen and selection.ids:
        raise InvalidInput("none of these deliveries is waiting (queued, errored, held, merged)")
    for delivery in chosen:
        if delivery.status is DeliveryStatus.MERGED and delivery.merged_into is not None:
            continue  # already part of a digest
        delivery.status = DeliveryStatus.CANCELLED
        delivery.next_attempt_at = None
        delivery.reason = f"cancelled by {staff.name}"
        delivery.updated_at = now
        session.add(delivery)
    await session.flush()
    return len(chosen)


async def budgets(
    session: AsyncSession, *, staff: Staff, settings: Settings, country: str | None = None
) -> list[BudgetPublic]:
    """Today's SMS spend against the budget, and the held deliveries, per visible country."""
    return await country_budgets(
        session, countries=staff.visible_countries(country), settings=settings
    )


async def country_budgets(
    session: AsyncSession,
    *,
    countries: frozenset[str] | None,
    settings: Settings,
    now: dt.datetime | None = None,
) -> list[BudgetPublic]:
    """Today's SMS spend against the budget, and the held deliveries, of `countries` (None:
    every country), each on its own local day."""
    now = now or clock.utcnow()
    out = []
    for c in (await session.exec(select(Country).order_by(col(Country.code)))).all():
        if countries is not None and c.code not in countries:
            continue
        day = clock.local_date(now, c.timezone)
        spend = await session.get(SmsSpend, (c.code, day))
        held = (
            await run_core(
                session,
                sa.select(sa.func.count())
                .select_from(Delivery)
                .where(
                    col(Delivery.country_code) == c.code,
                    col(Delivery.status) == DeliveryStatus.HELD,
                ),
            )
        ).scalar_one()
        out.append(
            BudgetPublic(
                country=c.code,
                day=day,
                budget=settings.sms_daily_budget.get(c.code, Decimal(0)),
                spent=Decimal(spend.spent) if spend else Decimal(0),
                currency=settings.sms_cost_currency,
                held=held,
            )
        )
    return out
