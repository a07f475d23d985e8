"""The producer endpoints that reach beyond app.producers: changing addresses, and erasure."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import SessionDep, StaffDep
from app.core.ids import Id
from app.lifecycle import producers as lifecycle
from app.producers.listing import to_public
from app.producers.models import ProducerPublic, ProducerUpdate

router = APIRouter(tags=["producers"])


@router.patch("/producers/{producer_id}")
async def update_producer(
    session: SessionDep, staff: StaffDep, producer_id: Id, data: ProducerUpdate
) -> ProducerPublic:
    producer = await lifecycle.update_producer(
        session, producer_id=producer_id, staff=staff, data=data
    )
    return (await to_public(session, [producer], staff=staff))[0]


@router.delete("/producers/{producer_id}", status_code=204)
async def delete_producer(session: SessionDep, staff: StaffDep, producer_id: Id) -> Response:
    """Erase the producer, their addresses and subscriptions."""
    await lifecycle.erase_producer(session, producer_id=producer_id, staff=staff)
    return Response(status_code=204)
