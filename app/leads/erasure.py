"""A person's offers when they are erased: a lead they offered (`SELL MANGO 500KG` by SMS) names
them as the seller and their number as the contact; so may a lead staff entered for them."""

from __future__ import annotations

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.service import Staff
from app.core import clock
from app.core.erasure import ERASED, Traces
from app.leads.models import BuyerLead, LeadStatus
from app.leads.service import OPEN_STATUSES

OFFERER_ERASED = "the producer who offered it was erased"


async def erase_offerer(
    session: AsyncSession, *, offered_by: Actor, traces: Traces, staff: Staff
) -> list[int]:
    """The leads `offered_by` created, or whose contact is one of their numbers, lose the
    buyer's name and contact (and their numbers and names in the note); one still open is
    closed, since no one can answer it any more. Returns the ids of those leads, whose
    broadcasts the caller takes the person out of."""
    leads = (
        await session.exec(
            select(BuyerLead).where(
                or_(
                    BuyerLead.created_by == offered_by.name,
                    col(BuyerLead.contact).in_(traces.numbers),
                )
            )
        )
    ).all()
    now = clock.utcnow()
    for lead in leads:
        lead.buyer_name = lead.contact = ERASED
        lead.note = traces.scrub(lead.note, inside=True)
        if lead.status in OPEN_STATUSES:
            lead.status, lead.reason = LeadStatus.CLOSED, OFFERER_ERASED
        lead.updated_at = now
        session.add(lead)
        audit.record(
            session,
            actor=staff,
            action="lead.erase",
            entity="lead",
            entity_id=lead.id or 0,
            country=lead.country_code,
            after={"status": lead.status.value, "buyer_name": ERASED, "contact": ERASED},
        )
    await session.flush()
    return [lead.id or 0 for lead in leads]
