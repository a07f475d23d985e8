"""The producers pages: the list (searched, filtered, paged, exported as CSV) and one
producer's page with their subscriptions, consent and every message in and out."""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.catalogue.service import country_zones, list_commodities, list_countries, list_markets
from app.commands.history import producer_messages
from app.console.deps import ConsoleStaff
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.producers import export, listing, service
from app.producers.models import ConsentChannel, ProducerKind, ProducerStatus
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

PAGE_SIZE: Final = 25
STATUSES: Final = {ProducerStatus.ACTIVE: N_("Active"), ProducerStatus.STOPPED: N_("Stopped")}
KINDS: Final = {
    ProducerKind.FARMER: N_("Farmer"),
    ProducerKind.FISHER: N_("Fisher"),
    ProducerKind.WEAVER: N_("Weaver"),
    ProducerKind.TEA_GROWER: N_("Tea grower"),
    ProducerKind.TRADER: N_("Trader"),
}
CONSENT_CHANNELS: Final = {
    ConsentChannel.PAPER: N_("Signed paper form"),
    ConsentChannel.VERBAL: N_("In person, to a CDE"),
    ConsentChannel.TELEGRAM: N_("Telegram"),
    ConsentChannel.SMS: N_("SMS"),
}

ERASED: Final = N_("The producer is erased, with their addresses, subscriptions and messages.")

Text = Annotated[str | None, Query(max_length=120)]


def _filters(
    q: str | None,
    country: str | None,
    status: str | None,
    commodity: str | None,
    market: str | None,
) -> listing.ProducerFilter:
    """Empty fields of the filter form mean "any"."""
    if status and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}: active or stopped")
    return listing.ProducerFilter(
        search=q or None,
        country=country or None,
        status=ProducerStatus(status) if status else None,
        commodity=commodity or None,
        market=market or None,
    )


@router.get("/producers")
async def producers_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    q: Text = None,
    country: Annotated[str | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    commodity: Text = None,
    market: Text = None,
    cursor: Id | None = None,
    erased: Annotated[str | None, Query(max_length=1)] = None,
) -> Response:
    filters = _filters(q, country, status, commodity, market)
    page = await listing.list_producers(
        session, staff=staff, filters=filters, cursor=cursor, limit=PAGE_SIZE
    )
    chosen = {
        "q": q or "",
        "country": country or "",
        "status": status or "",
        "commodity": commodity or "",
        "market": market or "",
    }
    locale = locale_of(request)
    markets = await list_markets(session, locale=locale)
    return render(
        request,
        "console/producers.html",
        producers=page.items,
        chosen=chosen,
        query=urlencode({k: v for k, v in chosen.items() if v}),
        next_cursor=page.next_cursor,
        countries=[
            c for c in await list_countries(session, locale=locale) if staff.can_see(c.code)
        ],
        commodities=await list_commodities(session, locale=locale),
        markets=[m for m in markets if staff.can_see(m.country)],
        statuses=STATUSES,
        kinds=KINDS,
        notice=ERASED if erased else None,
    )


@router.get("/producers/export")
async def producers_export(
    session: SessionDep,
    staff: ConsoleStaff,
    q: Text = None,
    country: Annotated[str | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    commodity: Text = None,
    market: Text = None,
) -> Response:
    filters = _filters(q, country, status, commodity, market)
    content = await export.export_producers(session, staff=staff, filters=filters)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="producers.csv"'},
    )


@router.get("/producers/{producer_id}")
async def producer_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    producer_id: Id,
    messages: Annotated[str | None, Query(max_length=30)] = None,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    producer = await service.get_producer(session, producer_id=producer_id, staff=staff)
    shown = (await listing.to_public(session, [producer], staff=staff))[0]
    history = await producer_messages(
        session, producer_id=producer_id, staff=staff, cursor=messages, limit=PAGE_SIZE
    )
    zones = await country_zones(session)
    return render(
        request,
        "console/producer.html",
        producer=shown,
        messages=history.items,
        next_messages=history.next_cursor,
        zone=zones.get(shown.country, "UTC"),
        kinds=KINDS,
        statuses=STATUSES,
        consent_channels=CONSENT_CHANNELS,
        notice=SAVED.get(saved or ""),
    )


SAVED: Final = {
    "created": N_("The producer is registered."),
    "updated": N_("The changes are saved."),
    "stopped": N_("The producer is stopped: nothing more is sent to them."),
    "consent": N_("The consent is recorded and the producer is active."),
}
