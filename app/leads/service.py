"""Buyer leads: submit, verify (the study met buyers who were not genuine), reject, close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff, get_in_scope
from app.catalogue.service import CatalogueIndex, country_today, load_index
from app.core import clock
from app.core.amounts import check_amount
from app.core.errors import Conflict, InvalidInput
from app.core.pagination import MAX_LIMIT, Page
from app.leads.models import (
    BuyerLead,
    LeadCreate,
    LeadKind,
    LeadPublic,
    LeadStatus,
    LeadUpdate,
)
from app.leads.publishing import LeadAlerts
from app.prices.currencies import known_currencies
from app.text.normalize import normalize_text

DEFAULT_DAYS = 30
MAX_DAYS = 180
OPEN_STATUSES = (LeadStatus.PENDING, LeadStatus.VERIFIED)


def _shown_status(lead: BuyerLead, today: dt.date) -> LeadStatus:
    """An open lead past its expiry shows as expired, whether or not housekeeping has run."""
    return (
        LeadStatus.EXPIRED
        if lead.status in OPEN_STATUSES and lead.expires_on < today
        else lead.status
    )


def _check_terms(lead: BuyerLead, today: dt.date) -> None:
    check_amount("quantity", lead.quantity)
    check_amount("price", lead.price)
    if lead.price is None and not lead.negotiable:
        raise InvalidInput('give a price, or "negotiable": true')
    if lead.price is not None and lead.currency is None:
        raise InvalidInput("a price needs its currency")
    if lead.currency is not None and lead.currency not in known_currencies():
        raise InvalidInput(f"unknown currency {lead.currency!r}")
    if lead.expires_on < today:
        raise InvalidInput(f"expires_on {lead.expires_on} is already past")
    if lead.expires_on > today + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(f"a lead can run {MAX_DAYS} days at most; renew it later")


async def create_lead(session: AsyncSession, *, data: LeadCreate, staff: Staff) -> BuyerLead:
    staff.require_writer()
    staff.check_country(data.country, f"country {data.country}")
    return await offer_lead(session, data=data, actor=staff.actor)


async def offer_lead(session: AsyncSession, *, data: LeadCreate, actor: Actor) -> BuyerLead:
    """A lead stored as pending for a CDE to verify. `actor` is whoever offered it: a staff
    member whose scope create_lead checked, or a producer offering in their own country."""
    today = await country_today(session, data.country)
    index = await load_index(session)
    commodity = index.commodity(data.commodity)
    lead = BuyerLead(
        kind=data.kind,
        commodity_id=commodity.id,  # type: ignore[arg-type]
        variety_id=index.variety(commodity, data.variety).id if data.variety else None,
        quantity=data.quantity,
        unit_id=index.unit(data.unit).id,
        price=data.price,
        negotiable=bool(data.negotiable),
        currency=data.currency,
        destination=normalize_text(data.destination) if data.destination else None,
        buyer_name=normalize_text(data.buyer_name),
        contact=normalize_text(data.contact),
        country_code=data.country,
        expires_on=data.expires_on or today + dt.timedelta(days=DEFAULT_DAYS),
        note=data.note,
        created_by=actor.name,
    )
    _check_terms(lead, today)
    await audit.save(
        session,
        lead,
        actor=actor,
        action="lead.create",
        entity="lead",
        country=lead.country_code,
    )
    return lead


async def get_lead(session: AsyncSession, *, lead_id: int, staff: Staff) -> BuyerLead:
    return await get_in_scope(session, BuyerLead, lead_id, staff=staff, noun="lead")


async def update_lead(
    session: AsyncSession, *, lead_id: int, staff: Staff, data: LeadUpdate
) -> BuyerLead:
    staff.require_writer()
    lead = await get_lead(session, lead_id=lead_id, staff=staff)
    today = await country_today(session, lead.country_code)
    if _shown_status(lead, today) not in OPEN_STATUSES:
        raise Conflict(f"lead {lead_id} is {_shown_status(lead, today)}; it can no longer change")
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change: send at least one field")
    before = audit.snapshot(lead)
    index = await load_index(session)
    _apply(lead, data, changes, index)
    _check_terms(lead, today)
    if lead.status is LeadStatus.VERIFIED:
        # Changed terms are new terms: a CDE checks them again before producers see them.
        lead.status = LeadStatus.PENDING
    lead.updated_at = clock.utcnow()
    await audit.save(
        session,
        lead,
        actor=staff,
        action="lead.update",
        entity="lead",
        country=lead.country_code,
        before=before,
    )
    return lead


def _apply(
    lead: BuyerLead, data: LeadUpdate, changes: dict[str, object], index: CatalogueIndex
) -> None:
    if "variety" in changes:
        commodity = index.commodity_by_id[lead.commodity_id]
        lead.variety_id = index.variety(commodity, data.variety).id if data.variety else None
    if data.unit is not None:
        lead.unit_id = index.unit(data.unit).id
    for name in ("quantity", "price", "currency", "expires_on", "note"):
        if name in changes:
            setattr(lead, name, getattr(data, name))
    if data.negotiable is not None:
        lead.negotiable = data.negotiable
    for name in ("destination", "buyer_name", "contact"):
        value = getattr(data, name)
        if value is not None:
            setattr(lead, name, normalize_text(value))


async def _decide(
    session: AsyncSession,
    *,
    lead_id: int,
    staff: Staff,
    status: LeadStatus,
    allowed_from: Sequence[LeadStatus],
    reason: str | None = None,
) -> BuyerLead:
    staff.require_writer()
    lead = await get_lead(session, lead_id=lead_id, staff=staff)
    current = _shown_status(lead, await country_today(session, lead.country_code))
    if current not in allowed_from:
        raise Conflict(f"lead {lead_id} is {current}; it cannot become {status}")
    before = audit.snapshot(lead)
    lead.status = status
    lead.reason = reason
    lead.reviewed_by = staff.name
    lead.reviewed_at = lead.updated_at = clock.utcnow()
    await audit.save(
        session,
        lead,
        actor=staff,
        action=f"lead.{status}",
        entity="lead",
        country=lead.country_code,
        before=before,
    )
    return lead


async def verify_lead(
    session: AsyncSession, *, lead_id: int, staff: Staff, alerts: LeadAlerts
) -> BuyerLead:
    """The CDE vouches that the buyer is genuine: only now do producers hear of it."""
    found = await get_in_scope(session, BuyerLead, lead_id, staff=staff, noun="lead")
    if found.quantity is None or found.unit_id is None:
        raise InvalidInput(
            f"lead {lead_id} came from a feed that gave no quantity: set quantity and unit first"
        )
    lead = await _decide(
        session,
        lead_id=lead_id,
        staff=staff,
        status=LeadStatus.VERIFIED,
        allowed_from=(LeadStatus.PENDING,),
    )
    await alerts.lead_verified(session, lead=lead)
    return lead


async def reject_lead(
    session: AsyncSession, *, lead_id: int, staff: Staff, reason: str
) -> BuyerLead:
    return await _decide(
        session,
        lead_id=lead_id,
        staff=staff,
        status=LeadStatus.REJECTED,
        allowed_from=(LeadStatus.PENDING, LeadStatus.VERIFIED),
        reason=reason,
    )


async def close_lead(
    session: AsyncSession, *, lead_id: int, staff: Staff, reason: str | None
) -> BuyerLead:
    return await _decide(
        session,
        lead_id=lead_id,
        staff=staff,
        status=LeadStatus.CLOSED,
        allowed_from=OPEN_STATUSES,
        reason=reason,
    )


async def to_public(
    session: AsyncSession, leads: Sequence[BuyerLead], *, staff: Staff
) -> list[LeadPublic]:
    if not leads:
        return []
    index = await load_index(session)
    todays = {
        code: await country_today(session, code) for code in {lead.country_code for lead in leads}
    }
    return [
        LeadPublic(
            id=lead.id or 0,
            kind=lead.kind,
            commodity=index.commodity_by_id[lead.commodity_id].slug,
            variety=index.variety_by_id[lead.variety_id].slug if lead.variety_id else None,
            quantity=lead.quantity,
            unit=index.unit_by_id[lead.unit_id].code if lead.unit_id else None,
            price=lead.price,
            negotiable=lead.negotiable,
            currency=lead.currency,
            destination=lead.destination,
            buyer_name=lead.buyer_name,
            contact=lead.contact if staff.sees_personal_data(lead.country_code) else None,
            country=lead.country_code,
            status=_shown_status(lead, todays[lead.country_code]),
            expires_on=lead.expires_on,
            note=lead.note,
            link=lead.link,
            created_by=lead.created_by,
            reviewed_by=lead.reviewed_by,
            reviewed_at=lead.reviewed_at,
            reason=lead.reason,
            created_at=lead.created_at,
        )
        for lead in leads
    ]


async def list_leads(
    session: AsyncSession,
    *,
    staff: Staff,
    country: str | None = None,
    status: LeadStatus | None = None,
    kind: LeadKind | None = None,
    commodity: str | None = None,
    include_expired: bool = False,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[LeadPublic]:
    """Newest first. Expired leads stop showing unless asked for."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(BuyerLead).order_by(col(BuyerLead.id).desc()).limit(limit + 1)
    countries = staff.visible_countries(country)
    if countries is not None:
        query = query.where(col(BuyerLead.country_code).in_(countries))
    # Expiry is by each country's calendar day, which is never more than a day from UTC's:
    # the SQL brackets every zone's today, and the shown status below is exact.
    utc_day = clock.utcnow().date()
    if status is LeadStatus.EXPIRED:
        query = query.where(
            or_(
                BuyerLead.status == LeadStatus.EXPIRED,
                col(BuyerLead.status).in_(OPEN_STATUSES) & (col(BuyerLead.expires_on) <= utc_day),
            )
        )
    elif status is not None:
        query = query.where(BuyerLead.status == status)
    if not include_expired and status is not LeadStatus.EXPIRED:
        query = query.where(
            BuyerLead.status != LeadStatus.EXPIRED,
            col(BuyerLead.expires_on) >= utc_day - dt.timedelta(days=1),
        )
    if kind:
        query = query.where(BuyerLead.kind == kind)
    if commodity:
        query = query.where(
            BuyerLead.commodity_id == (await load_index(session)).commodity(commodity).id
        )
    if cursor is not None:
        query = query.where(col(BuyerLead.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    shown = await to_public(session, rows, staff=staff)
    # The SQL filters are a day wide around time zones; the shown status is exact.
    if status is not None:
        shown = [lead for lead in shown if lead.status is status]
    elif not include_expired:
        shown = [lead for lead in shown if lead.status is not LeadStatus.EXPIRED]
    return Page(items=shown, next_cursor=rows[-1].id if more and rows else None)


async def delete_lead(session: AsyncSession, *, lead_id: int, staff: Staff) -> None:
    staff.require_writer()
    lead = await get_lead(session, lead_id=lead_id, staff=staff)
    before = audit.snapshot(lead)
    try:
        async with session.begin_nested():
            await session.delete(lead)
    except IntegrityError:
        # The broadcast that sent it to producers refers to it (the only table that does), and
        # the database keeps it: the lead stays as the record of what they were sent. Asking the
        # database, not the alerts' tables, keeps leads below alerts.
        raise Conflict(
            f"lead {lead_id} was sent to producers; close it instead (POST /leads/{lead_id}/close)"
        ) from None
    audit.record(
        session,
        actor=staff,
        action="lead.delete",
        entity="lead",
        entity_id=lead_id,
        country=lead.country_code,
        before=before,
    )
