"""Who am I, and token administration for admins."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts import service
from app.accounts.models import Role, StaffPublic, TokenPublic
from app.api.deps import SessionDep, StaffDep

router = APIRouter(tags=["accounts"])


@router.get("/me")
async def whoami(staff: StaffDep) -> StaffPublic:
    countries = sorted(staff.countries) if staff.countries is not None else None
    return StaffPublic(name=staff.name, role=staff.role, countries=countries)


@router.get("/tokens")
async def list_tokens(session: SessionDep, staff: StaffDep) -> list[TokenPublic]:
    staff.require_role(Role.ADMIN)
    return await service.list_tokens(session)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(session: SessionDep, staff: StaffDep, token_id: int) -> TokenPublic:
    staff.require_role(Role.ADMIN)
    return await service.revoke_token(session, token_ref=str(token_id))
