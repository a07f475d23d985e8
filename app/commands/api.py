"""A producer's conversation with MIC: what they sent and what they were sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SessionDep, StaffDep
from app.commands.history import producer_messages
from app.commands.models import ProducerMessagePage
from app.core.ids import Id

router = APIRouter(tags=["producers"])


@router.get("/producers/{producer_id}/messages")
async def list_producer_messages(
    session: SessionDep,
    staff: StaffDep,
    producer_id: Id,
    cursor: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=199)] = 50,
) -> ProducerMessagePage:
    """Every message in (with what it was read as) and out (with its delivery's status and
    reason), newest first. Phone numbers in the texts are masked for viewers."""
    return await producer_messages(
        session, producer_id=producer_id, staff=staff, cursor=cursor, limit=limit
    )
