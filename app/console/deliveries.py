"""Deliveries and broadcasts: counts per status and channel, failures with their reasons, the
SMS held by the daily budget (released or cancelled by admins, through the API's functions),
what SMS cost per day and country, and the latest broadcasts."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.accounts.models import Role
from app.alerts import overview, service
from app.alerts.models import DeliverySelection, DeliveryStatus
from app.api.deps import SessionDep, SettingsDep
from app.catalogue.service import country_zones
from app.console.deps import ConsoleStaff, CsrfChecked
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.text.csvfile import first_error
from app.web.templates import render

router = APIRouter()

DELIVERIES: Final = "/console/deliveries"
HELD_SHOWN: Final = 50
STATUSES: Final = {
    DeliveryStatus.QUEUED: N_("Queued"),
    DeliveryStatus.SENDING: N_("Sending"),
    DeliveryStatus.SENT: N_("Sent"),
    DeliveryStatus.DELIVERED: N_("Delivered"),
    DeliveryStatus.ERRORED: N_("Failed, to be retried"),
    DeliveryStatus.FAILED: N_("Failed"),
    DeliveryStatus.CANCELLED: N_("Cancelled"),
    DeliveryStatus.HELD: N_("Held by the SMS budget"),
    DeliveryStatus.MERGED: N_("Into a digest"),
}
DONE: Final = {
    "released": N_("The held SMS are released and will be sent."),
    "cancelled": N_("The held SMS are cancelled."),
}
NOTHING_CHOSEN: Final = N_("Tick at least one held SMS.")


@router.get("/deliveries")
async def deliveries_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: ConsoleStaff,
    country: Annotated[str | None, Query(max_length=2)] = None,
    days: Annotated[int, Query(ge=1, le=overview.MAX_DAYS)] = 7,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    summary = await overview.delivery_summary(
        session, staff=staff, settings=settings, country=country or None, days=days
    )
    held = await service.list_deliveries(
        session,
        staff=staff,
        status=DeliveryStatus.HELD,
        country=country or None,
        limit=HELD_SHOWN,
    )
    broadcasts = await service.list_broadcasts(session, staff=staff, limit=10)
    channels = sorted({c.channel for c in summary.counts})
    table = {(c.status, c.channel): c.count for c in summary.counts}
    return render(
        request,
        "console/deliveries.html",
        summary=summary,
        channels=channels,
        rows=[
            (s, label) for s, label in STATUSES.items() if any((s, c) in table for c in channels)
        ],
        table=table,
        held=held.items,
        more_held=held.next_cursor is not None,
        broadcasts=broadcasts.items,
        zones=await country_zones(session),
        can_release=staff.role is Role.ADMIN,
        country=country or "",
        days=days,
        notice=DONE.get(done or ""),
        error=None,
    )


@router.post("/deliveries/held", dependencies=[CsrfChecked])
async def steer_held(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    """Release or cancel the ticked held SMS: admins only, as the API's release and cancel."""
    staff.require_role(Role.ADMIN)
    form = await request.form()
    action = form.get("action")
    ids = [value for value in form.getlist("id") if isinstance(value, str)]
    if action not in ("release", "cancel"):
        raise InvalidInput("the form releases or cancels held SMS")
    if not ids:
        raise InvalidInput(NOTHING_CHOSEN)
    try:
        selection = DeliverySelection.model_validate({"ids": ids})
    except ValidationError as exc:
        raise InvalidInput(first_error(exc)) from exc
    if action == "release":
        await service.release_held(session, selection=selection, staff=staff)
        return RedirectResponse(f"{DELIVERIES}?done=released", status_code=303)
    await service.cancel(session, selection=selection, staff=staff)
    return RedirectResponse(f"{DELIVERIES}?done=cancelled", status_code=303)
