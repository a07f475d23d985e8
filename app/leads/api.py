"""Buyer lead endpoints: CRUD for buy and sell offers, and their verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from app.api.deps import AlertsDep, SessionDep, StaffDep
from app.core.ids import Id
from app.core.pagination import Page
from app.leads import service
from app.leads.models import (
    LeadClose,
    LeadCreate,
    LeadDecision,
    LeadKind,
    LeadPublic,
    LeadStatus,
    LeadUpdate,
)

router = APIRouter(tags=["buyer leads"])


async def _one(session: SessionDep, staff: StaffDep, lead_id: Id) -> LeadPublic:
    lead = await service.get_lead(session, lead_id=lead_id, staff=staff)
    return (await service.to_public(session, [lead], staff=staff))[0]


@router.post("/leads", status_code=201)
async def create_lead(session: SessionDep, staff: StaffDep, data: LeadCreate) -> LeadPublic:
    """A buy or sell offer, pending until a CDE verifies that the buyer is genuine."""
    lead = await service.create_lead(session, data=data, staff=staff)
    return (await service.to_public(session, [lead], staff=staff))[0]


@router.get("/leads")
async def list_leads(
    session: SessionDep,
    staff: StaffDep,
    country: str | None = None,
    status: LeadStatus | None = None,
    kind: LeadKind | None = None,
    commodity: str | None = None,
    include_expired: bool = False,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[LeadPublic]:
    """Newest first; expired leads are left out unless `include_expired` or `status=expired`."""
    return await service.list_leads(
        session,
        staff=staff,
        country=country,
        status=status,
        kind=kind,
        commodity=commodity,
        include_expired=include_expired,
        cursor=cursor,
        limit=limit,
    )


@router.get("/leads/{lead_id}")
async def get_lead(session: SessionDep, staff: StaffDep, lead_id: Id) -> LeadPublic:
    return await _one(session, staff, lead_id)


@router.patch("/leads/{lead_id}")
async def update_lead(
    session: SessionDep, staff: StaffDep, lead_id: Id, data: LeadUpdate
) -> LeadPublic:
    """Change the terms; a verified lead goes back to pending for the CDE to check again."""
    await service.update_lead(session, lead_id=lead_id, staff=staff, data=data)
    return await _one(session, staff, lead_id)


@router.post("/leads/{lead_id}/verify")
async def verify_lead(
    session: SessionDep, staff: StaffDep, alerts: AlertsDep, lead_id: Id
) -> LeadPublic:
    """Vouch for the buyer: subscribed producers who opted in to leads will hear of it."""
    await service.verify_lead(session, lead_id=lead_id, staff=staff, alerts=alerts)
    return await _one(session, staff, lead_id)


@router.post("/leads/{lead_id}/reject")
async def reject_lead(
    session: SessionDep, staff: StaffDep, lead_id: Id, data: LeadDecision
) -> LeadPublic:
    await service.reject_lead(session, lead_id=lead_id, staff=staff, reason=data.reason)
    return await _one(session, staff, lead_id)


@router.post("/leads/{lead_id}/close")
async def close_lead(
    session: SessionDep,
    staff: StaffDep,
    lead_id: Id,
    data: Annotated[LeadClose | None, Body()] = None,
) -> LeadPublic:
    """The deal is done or off; the lead stops showing."""
    await service.close_lead(
        session, lead_id=lead_id, staff=staff, reason=data.reason if data else None
    )
    return await _one(session, staff, lead_id)


@router.delete("/leads/{lead_id}", status_code=204)
async def delete_lead(session: SessionDep, staff: StaffDep, lead_id: Id) -> Response:
    """Remove a lead entered by mistake (the audit log keeps what it was)."""
    await service.delete_lead(session, lead_id=lead_id, staff=staff)
    return Response(status_code=204)
