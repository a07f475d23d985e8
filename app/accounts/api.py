"""Who am I, and token administration for admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts import audit, contact, service
from app.accounts.models import (
    AuditPublic,
    ContactUpdate,
    Role,
    StaffPublic,
    StaffUser,
    TokenPublic,
)
from app.accounts.service import Staff
from app.api.deps import SessionDep, StaffDep
from app.core.ids import Id
from app.core.pagination import Page

router = APIRouter(tags=["accounts"])


def _me(staff: Staff, user: StaffUser) -> StaffPublic:
    countries = sorted(staff.countries) if staff.countries is not None else None
    return StaffPublic(name=staff.name, role=staff.role, countries=countries, contact=user.contact)


@router.get("/me")
async def whoami(session: SessionDep, staff: StaffDep) -> StaffPublic:
    return _me(staff, await contact.get_user(session, staff=staff))


@router.patch("/me")
async def set_my_contact(session: SessionDep, staff: StaffDep, data: ContactUpdate) -> StaffPublic:
    """Where your reports go (the daily list of stale price series, for a CDE)."""
    return _me(staff, await contact.set_contact(session, staff=staff, contact=data.contact))


@router.get("/audit")
async def list_audit(
    session: SessionDep,
    staff: StaffDep,
    entity: str | None = None,
    entity_id: Id | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditPublic]:
    """Every change, newest first: who, what, when, before and after. Admins see all; CDEs see
    their countries."""
    return await audit.list_audit(
        session,
        staff=staff,
        entity=entity,
        entity_id=entity_id,
        since=since,
        until=until,
        actor=actor,
        action=action,
        cursor=cursor,
        limit=limit,
    )


@router.get("/tokens")
async def list_tokens(session: SessionDep, staff: StaffDep) -> list[TokenPublic]:
    staff.require_role(Role.ADMIN)
    return await service.list_tokens(session)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(session: SessionDep, staff: StaffDep, token_id: Id) -> TokenPublic:
    staff.require_role(Role.ADMIN)
    return await service.revoke_token(session, token_ref=str(token_id), actor=staff)
