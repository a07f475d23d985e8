"""Broadcast, delivery and SMS budget endpoints, and sending a notice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.alerts import overview, service
from app.alerts import preview as previews
from app.alerts.models import (
    BroadcastKind,
    BroadcastPublic,
    BudgetPublic,
    ChannelName,
    DeliveryPublic,
    DeliverySelection,
    DeliveryStatus,
    DeliverySummary,
    PreviewIn,
    PreviewOut,
)
from app.api.deps import SessionDep, SettingsDep, StaffDep
from app.core.ids import Id
from app.core.pagination import Page

router = APIRouter(tags=["alerts"])


@router.post("/broadcasts/preview")
async def preview(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, data: PreviewIn
) -> PreviewOut:
    """What a published price, a verified lead or a notice sends, before anything is sent: the
    text for every way recipients read it, recipients per channel and locale, SMS segments and
    cost per country. Nothing is written."""
    return await service.preview(session, data=data, staff=staff, settings=settings)


@router.get("/prices/{price_id}/alert-preview", tags=["prices"])
async def price_alert_preview(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, price_id: Id
) -> PreviewOut:
    """The alert publishing this pending price will trigger, read before publishing it: how many
    producers on which channel and in which language, the text every variant will read, its SMS
    segments and their cost per country. For a published price `already_sent` is true. Viewers
    may read it too; a rejected price answers 409. Nothing is written."""
    return await previews.price_preview(session, price_id=price_id, staff=staff, settings=settings)


@router.get("/notices/{notice_id}/alert-preview", tags=["notices"])
async def notice_alert_preview(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, notice_id: Id
) -> PreviewOut:
    """What sending this draft or scheduled notice will queue: recipients per channel and
    language, the text of every language and variant with its SMS segments and cost. A
    cancelled notice answers 409. Nothing is written."""
    return await previews.notice_preview(
        session, notice_id=notice_id, staff=staff, settings=settings
    )


@router.post("/notices/{notice_id}/send", tags=["notices"])
async def send_notice(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, notice_id: Id
) -> BroadcastPublic:
    """Send a draft (or scheduled) notice now to its segment."""
    broadcast = await service.send_notice(
        session, notice_id=notice_id, staff=staff, settings=settings
    )
    return await service.get_broadcast(session, broadcast_id=broadcast.id or 0, staff=staff)


@router.get("/broadcasts")
async def list_broadcasts(
    session: SessionDep,
    staff: StaffDep,
    kind: BroadcastKind | None = None,
    price: Id | None = None,
    lead: Id | None = None,
    notice: Id | None = None,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[BroadcastPublic]:
    return await service.list_broadcasts(
        session,
        staff=staff,
        kind=kind,
        price_id=price,
        lead_id=lead,
        notice_id=notice,
        cursor=cursor,
        limit=limit,
    )


@router.get("/broadcasts/{broadcast_id}")
async def get_broadcast(session: SessionDep, staff: StaffDep, broadcast_id: Id) -> BroadcastPublic:
    """One broadcast with its deliveries counted per status and what its SMS cost."""
    return await service.get_broadcast(session, broadcast_id=broadcast_id, staff=staff)


@router.get("/deliveries")
async def list_deliveries(
    session: SessionDep,
    staff: StaffDep,
    status: DeliveryStatus | None = None,
    channel: ChannelName | None = None,
    producer: Id | None = None,
    broadcast: Id | None = None,
    country: str | None = None,
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[DeliveryPublic]:
    return await service.list_deliveries(
        session,
        staff=staff,
        status=status,
        channel=channel,
        producer_id=producer,
        broadcast_id=broadcast,
        country=country,
        cursor=cursor,
        limit=limit,
    )


@router.post("/deliveries/release")
async def release(session: SessionDep, staff: StaffDep, data: DeliverySelection) -> dict[str, int]:
    """Admins: send SMS held by the daily budget anyway."""
    return {"released": await service.release_held(session, selection=data, staff=staff)}


@router.post("/deliveries/cancel")
async def cancel(session: SessionDep, staff: StaffDep, data: DeliverySelection) -> dict[str, int]:
    """Cancel deliveries that are still waiting (queued, retrying, held or merged)."""
    return {"cancelled": await service.cancel(session, selection=data, staff=staff)}


@router.get("/budgets")
async def budgets(
    session: SessionDep, staff: StaffDep, settings: SettingsDep, country: str | None = None
) -> list[BudgetPublic]:
    """Today's SMS spend, budget and held deliveries per country (each country's local day)."""
    return await service.budgets(session, staff=staff, settings=settings, country=country)


@router.get("/deliveries/summary")
async def delivery_summary(
    session: SessionDep,
    staff: StaffDep,
    settings: SettingsDep,
    country: str | None = None,
    days: Annotated[int, Query(ge=1, le=overview.MAX_DAYS)] = 7,
) -> DeliverySummary:
    """Deliveries of the last `days` days counted per status and channel, failures grouped by
    reason (numbers masked for viewers), and SMS spend per day and country."""
    return await overview.delivery_summary(
        session, staff=staff, settings=settings, country=country, days=days
    )
