"""The price review pages: the queue with its filters and paging, a price's page with the alert
publishing it will trigger and its history, publishing and rejecting one price or several, and
the filtered list as a CSV file. Correcting a price from its page is price_correction's.

Every decision goes through app.prices.review.decide_many, which calls curation's own
publish_price and reject_price: checked, locked and audited exactly as through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts.preview import price_preview
from app.api.deps import AlertsDep, SessionDep, SettingsDep
from app.catalogue.service import CatalogueIndex, load_index
from app.console.changes import ReadableEntry, read_entries
from app.console.deps import ConsoleStaff, CsrfChecked
from app.console.labels import CHANNEL, PRICE_ACTION, PRICE_STATUS, PRICE_TYPE
from app.console.price_correction_form import Correction, choices
from app.core.config import Settings
from app.core.errors import Forbidden, InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.prices import curation, export, reads, review
from app.prices.history import price_history
from app.prices.models import PriceObservation, PricePublic, PriceStatus
from app.prices.review import Decision, Outcome
from app.web.catalogue_names import catalogue_names
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

LIST: Final = "/console/prices"
COMPARE: Final = "/console/prices/compare"
PAGE_SIZE: Final = 50
# The filters the list understands, in the order its links write them.
FILTERS: Final = ("country", "market", "commodity", "status", "source", "reports", "from", "to")

BAD_FILTER: Final = N_("A filter is not valid; the list shows nothing until it is corrected.")
NOTHING_SELECTED: Final = N_("Select at least one price.")
REASON_NEEDED: Final = N_("Give the reason for rejecting, in at most 500 characters.")
DONE: Final = {
    "published": N_("The price is published; its alerts are queued."),
    "rejected": N_("The price is rejected."),
    "corrected": N_("The price is corrected; the version before is in its history below."),
}
# Why a price was not published or rejected, by the error the service gave.
REFUSED: Final = {
    "conflict": N_("Already decided: it was published or rejected in the meantime."),
    "invalid_input": N_(
        "Not published: it is far from the median of its series. If it is right, tick "
        "“The price is right” and publish it again."
    ),
    "forbidden": N_("Not yours to decide: it is outside your countries, or you only read."),
    "not_found": N_("There is no such price."),
}


@dataclass
class ListQuery:
    """The list's filters as the browser sent them (strings, kept to fill the form again)."""

    values: dict[str, str]
    filters: reads.PriceFilter = field(default_factory=reads.PriceFilter)
    cursor: int | None = None
    problem: str | None = None  # what is wrong with them, in English, for the detail line


def read_query(params: Mapping[str, str]) -> ListQuery:
    """The filters of a list URL. An empty field means "any"; no status at all means pending,
    the queue a CDE opens the page for."""
    values = {name: params.get(name, "").strip() for name in FILTERS}
    if "status" not in params:
        values["status"] = PriceStatus.PENDING.value
    found = ListQuery(values)
    try:
        status = PriceStatus(values["status"]) if values["status"] else None
    except ValueError:
        found.problem = f"unknown status {values['status']!r}"
        return found
    reports = {"": None, "yes": True, "no": False}.get(values["reports"], "bad")
    if reports == "bad":
        found.problem = "reports is yes, no or empty"
        return found
    try:
        start = dt.date.fromisoformat(values["from"]) if values["from"] else None
        end = dt.date.fromisoformat(values["to"]) if values["to"] else None
    except ValueError:
        found.problem = "a date is not YYYY-MM-DD"
        return found
    cursor = params.get("cursor", "")
    if cursor and not (cursor.isdigit() and 0 < int(cursor) < 2**62):
        found.problem = "the page link is broken"
        return found
    found.cursor = int(cursor) if cursor else None
    found.filters = reads.PriceFilter(
        commodity=values["commodity"] or None,
        market=values["market"] or None,
        country=values["country"] or None,
        status=status,
        observed_from=start,
        observed_to=end,
        source=values["source"] or None,
        reports=reports if isinstance(reports, bool) else None,
    )
    return found


def list_url(values: Mapping[str, str], **extra: str) -> str:
    query = {k: v for k, v in values.items() if v or k == "status"}
    return f"{LIST}?{urlencode({**query, **extra})}"


def compare_url(commodity: str | None, market: str | None, variety: str | None = None) -> str:
    """The comparison page for a commodity with a market ticked, as far as they are known."""
    given = {"commodity": commodity, "variety": variety, "market": market}
    query = urlencode({k: v for k, v in given.items() if v})
    return f"{COMPARE}?{query}" if query else COMPARE


def _back_params(back: str) -> dict[str, str]:
    """The filters of the list a form was posted from (its own URL, sent along); anything that
    is not a link to the list itself counts as the plain queue."""
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or parts.path != LIST:
        return {}
    return dict(parse_qsl(parts.query, keep_blank_values=True))


def _choices(index: CatalogueIndex, staff: Staff) -> dict[str, list[str]]:
    markets = [m for m in index.market_by_id.values() if staff.can_see(m.country_code)]
    countries = sorted({m.country_code for m in markets})
    return {
        "country": countries,
        "market": sorted(m.slug for m in markets),
        "commodity": sorted(c.slug for c in index.commodity_by_id.values()),
    }


async def _comparisons(
    session: AsyncSession, items: list[PricePublic]
) -> dict[int, review.Comparison]:
    flagged = [await session.get(PriceObservation, p.id) for p in items if p.outlier]
    return await review.compared_with(session, [p for p in flagged if p is not None])


async def _list_page(
    request: Request,
    session: AsyncSession,
    staff: Staff,
    params: Mapping[str, str],
    *,
    status_code: int = 200,
    error: str | None = None,
    detail: str | None = None,
    selected: frozenset[int] = frozenset(),
    outcomes: list[Outcome] | None = None,
) -> Response:
    query = read_query(params)
    index = await load_index(session)
    items: list[PricePublic] = []
    next_cursor = None
    if query.problem is not None:
        status_code, error, detail = 422, BAD_FILTER, query.problem
    else:
        try:
            page = await reads.list_prices(
                session, staff=staff, filters=query.filters, cursor=query.cursor, limit=PAGE_SIZE
            )
        except InvalidInput as exc:  # a market or commodity no catalogue entry has
            status_code, error, detail = 422, BAD_FILTER, str(exc.detail)
        else:
            items, next_cursor = page.items, page.next_cursor
    here = list_url(query.values, **({"cursor": str(query.cursor)} if query.cursor else {}))
    return render(
        request,
        "console/prices.html",
        status_code=status_code,
        query=query.values,
        choices=_choices(index, staff),
        statuses=PRICE_STATUS,
        items=items,
        names=await catalogue_names(session, index, locale_of(request)),
        comparisons=await _comparisons(session, items),
        next_url=list_url(query.values, cursor=str(next_cursor)) if next_cursor else None,
        first_url=list_url(query.values) if query.cursor else None,
        csv_url="/console/prices.csv?" + urlencode({k: v for k, v in query.values.items() if v}),
        compare_url=compare_url(query.values["commodity"], query.values["market"]),
        here=here,
        error=error,
        detail=detail,
        selected=selected,
        outcomes=outcomes,
        refused=REFUSED,
        can_write=staff.can_write,
    )


@router.get("/prices")
async def prices_page(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    return await _list_page(request, session, staff, request.query_params)


@router.get("/prices.csv")
async def prices_csv(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    """The filtered list, every page of it, through the same export as GET /api/v1/prices/export."""
    query = read_query(request.query_params)
    if query.problem is not None:
        raise InvalidInput(query.problem)
    content = await export.export_prices(session, staff=staff, filters=query.filters)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="prices.csv"'},
    )


@router.post("/prices/review", dependencies=[CsrfChecked])
async def review_selected(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    alerts: AlertsDep,
    decision: Annotated[Decision, Form()],
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies it
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirm_outliers: Annotated[str, Form(max_length=10)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    params = _back_params(back)
    chosen = frozenset(int(i) for i in ids if i.isdigit() and 0 < int(i) < 2**62)
    if not chosen or len(chosen) != len(set(ids)):
        return await _list_page(
            request, session, staff, params, status_code=422, error=NOTHING_SELECTED
        )
    try:
        outcomes = await review.decide_many(
            session,
            price_ids=sorted(chosen),
            decision=decision,
            staff=staff,
            alerts=alerts,
            reason=reason,
            confirm_outliers=bool(confirm_outliers),
        )
    except InvalidInput:
        error = REASON_NEEDED if decision is Decision.REJECT else NOTHING_SELECTED
        return await _list_page(
            request, session, staff, params, status_code=422, error=error, selected=chosen
        )
    return await _list_page(request, session, staff, params, outcomes=outcomes)


async def render_price(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    staff: Staff,
    price_id: int,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    detail: str | None = None,
    reason: str = "",
    correction: Correction | None = None,
) -> Response:
    """A price's page; `correction`: the correction form as sent, when it was not saved."""
    price = await curation.get_price(session, price_id=price_id, staff=staff)
    [shown] = await reads.to_public(session, [price])
    index = await load_index(session)
    preview = None
    if price.status is not PriceStatus.REJECTED:
        preview = await price_preview(session, price_id=price_id, staff=staff, settings=settings)
    if correction is None:
        correction = Correction.of(shown, await curation.version_of(session, price_id=price_id))
    return render(
        request,
        "console/price.html",
        status_code=status_code,
        price=shown,
        names=await catalogue_names(session, index, locale_of(request)),
        comparison=(await review.compared_with(session, [price])).get(price_id),
        compare_url=compare_url(shown.commodity, shown.market, shown.variety),
        preview=preview,
        statuses=PRICE_STATUS,
        price_types=PRICE_TYPE,
        channels=CHANNEL,
        notice=notice,
        error=error,
        detail=detail,
        reason=reason,
        reason_refused=error == REASON_NEEDED,
        can_write=staff.can_write,
        correction=correction,
        choices=choices(index, shown),
        history=await _history(session, staff, price_id),
        actions=PRICE_ACTION,
    )


async def _history(
    session: AsyncSession, staff: Staff, price_id: int
) -> list[ReadableEntry] | None:
    """Every version of the price, read as the audit page reads it; None for a reader the
    audit log is closed to (a viewer), as the API's history is."""
    try:
        entries = await price_history(session, price_id=price_id, staff=staff)
    except Forbidden:
        return None
    return await read_entries(session, entries, staff=staff)


@router.get("/prices/{price_id}")
async def price_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: ConsoleStaff,
    price_id: Id,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return await render_price(request, session, settings, staff, price_id, notice=DONE.get(done))


async def _decide_one(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    staff: Staff,
    alerts: AlertsDep,
    price_id: int,
    decision: Decision,
    *,
    reason: str = "",
    confirm_outlier: bool = False,
) -> Response:
    await curation.get_price(session, price_id=price_id, staff=staff)  # 404 or 403 page first
    try:
        [outcome] = await review.decide_many(
            session,
            price_ids=[price_id],
            decision=decision,
            staff=staff,
            alerts=alerts,
            reason=reason,
            confirm_outliers=confirm_outlier,
        )
    except InvalidInput:  # the reason: missing, or too long
        return await render_price(
            request,
            session,
            settings,
            staff,
            price_id,
            status_code=422,
            error=REASON_NEEDED,
            reason=reason[:500],
        )
    if not outcome.done:
        code = outcome.error or "conflict"
        return await render_price(
            request,
            session,
            settings,
            staff,
            price_id,
            status_code=409 if code == "conflict" else 422 if code == "invalid_input" else 403,
            error=REFUSED.get(code, REFUSED["conflict"]),
            detail=outcome.detail,
        )
    done = "published" if decision is Decision.PUBLISH else "rejected"
    return RedirectResponse(f"{LIST}/{price_id}?done={done}", status_code=303)


@router.post("/prices/{price_id}/publish", dependencies=[CsrfChecked])
async def publish(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: ConsoleStaff,
    alerts: AlertsDep,
    price_id: Id,
    confirm_outlier: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return await _decide_one(
        request,
        session,
        settings,
        staff,
        alerts,
        price_id,
        Decision.PUBLISH,
        confirm_outlier=bool(confirm_outlier),
    )


@router.post("/prices/{price_id}/reject", dependencies=[CsrfChecked])
async def reject(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: ConsoleStaff,
    alerts: AlertsDep,
    price_id: Id,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return await _decide_one(
        request, session, settings, staff, alerts, price_id, Decision.REJECT, reason=reason
    )
