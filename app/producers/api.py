"""Producer registration and care for CDEs: addresses, subscriptions, consent, imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import SessionDep, StaffDep
from app.api.imports import ImportResult, import_result
from app.core.ids import Id
from app.core.pagination import Page
from app.producers import csv_import, export, listing, service, subscriptions
from app.producers.models import (
    ConsentIn,
    ProducerCreate,
    ProducerKind,
    ProducerPublic,
    ProducerStatus,
    StopIn,
    SubscriptionCreate,
    SubscriptionPublic,
)

router = APIRouter(tags=["producers"])


async def _one(session: SessionDep, staff: StaffDep, producer_id: Id) -> ProducerPublic:
    producer = await service.get_producer(session, producer_id=producer_id, staff=staff)
    return (await listing.to_public(session, [producer], staff=staff))[0]


@router.post("/producers", status_code=201)
async def create_producer(
    session: SessionDep, staff: StaffDep, data: ProducerCreate
) -> ProducerPublic:
    """Register a producer. The phone is read as written in their country and stored in E.164;
    record their consent (when, and through which channel) or they will not be messaged."""
    producer = await service.create_producer(session, data=data, staff=staff)
    return (await listing.to_public(session, [producer], staff=staff))[0]


@router.get("/producers")
async def list_producers(
    session: SessionDep,
    staff: StaffDep,
    country: str | None = None,
    status: ProducerStatus | None = None,
    kind: ProducerKind | None = None,
    q: Annotated[
        str | None,
        Query(max_length=120, description="Part of the name, or of the phone in any form"),
    ] = None,
    commodity: Annotated[str | None, Query(max_length=120)] = None,
    market: Annotated[str | None, Query(max_length=120)] = None,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ProducerPublic]:
    """Newest first. `q` finds producers by name (any case) or phone (`09 250 123`,
    `+959250123`; not for viewers, who see phones masked). `commodity` and `market` keep
    those who subscribe to that commodity, or to anything at that market."""
    filters = listing.ProducerFilter(
        country=country, status=status, kind=kind, search=q, commodity=commodity, market=market
    )
    return await listing.list_producers(
        session, staff=staff, filters=filters, cursor=cursor, limit=limit
    )


@router.get(
    "/producers/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The producers as a CSV file"}},
)
async def export_producers(
    session: SessionDep,
    staff: StaffDep,
    country: str | None = None,
    status: ProducerStatus | None = None,
    kind: ProducerKind | None = None,
    q: Annotated[str | None, Query(max_length=120)] = None,
    commodity: Annotated[str | None, Query(max_length=120)] = None,
    market: Annotated[str | None, Query(max_length=120)] = None,
) -> Response:
    """The producers `GET /producers` lists with the same filters, every page, as CSV."""
    filters = listing.ProducerFilter(
        country=country, status=status, kind=kind, search=q, commodity=commodity, market=market
    )
    content = await export.export_producers(session, staff=staff, filters=filters)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="producers.csv"'},
    )


@router.post(
    "/producers/import",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": (
                        "name,country,kind,phone,locale,consent_channel\n"
                        "Daw Khin Myo,MM,farmer,09 250 123 789,my,paper\n"
                    ),
                }
            },
            "required": True,
        }
    },
)
async def import_producers(request: Request, session: SessionDep, staff: StaffDep) -> ImportResult:
    """CSV body. Required: name, country, kind; optional: phone, telegram_chat_id, locale,
    script, digits, plain_sms, roles (separated by |), quiet_hours, daily_cap, consent_channel,
    consent_at."""
    report = await csv_import.import_producers_csv(
        session, content=await request.body(), staff=staff
    )
    return import_result(report)


@router.get("/producers/{producer_id}")
async def get_producer(session: SessionDep, staff: StaffDep, producer_id: Id) -> ProducerPublic:
    return await _one(session, staff, producer_id)


@router.post("/producers/{producer_id}/stop")
async def stop_producer(
    session: SessionDep, staff: StaffDep, producer_id: Id, data: StopIn
) -> ProducerPublic:
    """Record an opt-out; nothing more is sent until a new consent."""
    await service.stop_producer(session, producer_id=producer_id, staff=staff, data=data)
    return await _one(session, staff, producer_id)


@router.post("/producers/{producer_id}/consent")
async def record_consent(
    session: SessionDep, staff: StaffDep, producer_id: Id, data: ConsentIn
) -> ProducerPublic:
    """Record a (new) consent: when, and through which channel. Re-activates a stopped producer."""
    await service.record_consent(session, producer_id=producer_id, staff=staff, data=data)
    return await _one(session, staff, producer_id)


@router.get("/producers/{producer_id}/subscriptions")
async def list_subscriptions(
    session: SessionDep, staff: StaffDep, producer_id: Id
) -> list[SubscriptionPublic]:
    return (await _one(session, staff, producer_id)).subscriptions


@router.post("/producers/{producer_id}/subscriptions", status_code=201)
async def add_subscription(
    session: SessionDep, staff: StaffDep, producer_id: Id, data: SubscriptionCreate
) -> SubscriptionPublic:
    subscription = await subscriptions.add_subscription(
        session, producer_id=producer_id, staff=staff, data=data
    )
    shown = (await _one(session, staff, producer_id)).subscriptions
    return next(s for s in shown if s.id == subscription.id)


@router.delete("/producers/{producer_id}/subscriptions/{subscription_id}", status_code=204)
async def remove_subscription(
    session: SessionDep, staff: StaffDep, producer_id: Id, subscription_id: Id
) -> Response:
    await subscriptions.remove_subscription(
        session, producer_id=producer_id, subscription_id=subscription_id, staff=staff
    )
    return Response(status_code=204)
