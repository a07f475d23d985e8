"""Market notice endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SessionDep, StaffDep
from app.core.ids import Id
from app.core.pagination import Page
from app.notices import service
from app.notices.models import NoticeCreate, NoticePublic, NoticeStatus

router = APIRouter(tags=["notices"])


@router.post("/notices", status_code=201)
async def create_notice(session: SessionDep, staff: StaffDep, data: NoticeCreate) -> NoticePublic:
    """Post a notice to a segment (countries, and optionally commodities and markets). Without
    `send_at` it is a draft: preview it with POST /broadcasts/preview, then POST
    /notices/{id}/send. With `send_at` it goes out then by itself. Urgent notices skip quiet
    hours."""
    return service.to_public(await service.create_notice(session, data=data, staff=staff))


@router.get("/notices")
async def list_notices(
    session: SessionDep,
    staff: StaffDep,
    status: NoticeStatus | None = None,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[NoticePublic]:
    return await service.list_notices(
        session, staff=staff, status=status, cursor=cursor, limit=limit
    )


@router.get("/notices/{notice_id}")
async def get_notice(session: SessionDep, staff: StaffDep, notice_id: Id) -> NoticePublic:
    return service.to_public(await service.get_notice(session, notice_id=notice_id, staff=staff))


@router.put("/notices/{notice_id}")
async def update_notice(
    session: SessionDep, staff: StaffDep, notice_id: Id, data: NoticeCreate
) -> NoticePublic:
    """Rewrite a notice that has not gone out: all of it, checked as a new one. With `send_at`
    it is scheduled; without, it is a draft again."""
    notice = await service.update_notice(session, notice_id=notice_id, data=data, staff=staff)
    return service.to_public(notice)


@router.post("/notices/{notice_id}/cancel")
async def cancel_notice(session: SessionDep, staff: StaffDep, notice_id: Id) -> NoticePublic:
    return service.to_public(await service.cancel_notice(session, notice_id=notice_id, staff=staff))
