"""Buyer leads in the console: the list with its filters, a lead's page with the buyer's
contact as the API shows it to the reader (hidden from those who may not see it), verifying,
rejecting with a reason and closing, and how many producers a verified lead reaches on each
channel, from the broadcast preview."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts import service as alerts
from app.alerts.models import PreviewIn, PreviewOut
from app.api.deps import AlertsDep, SessionDep, SettingsDep
from app.console.deps import ConsoleStaff, CsrfChecked
from app.console.filters import chosen
from app.core.config import Settings
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.leads import service as leads
from app.leads.models import LeadClose, LeadDecision, LeadKind, LeadPublic, LeadStatus
from app.web.templates import render

router = APIRouter()

LEADS: Final = "/console/leads"
PAGE_SIZE: Final = 30
STATUSES: Final = {
    LeadStatus.PENDING: N_("Waiting for verification"),
    LeadStatus.VERIFIED: N_("Verified"),
    LeadStatus.REJECTED: N_("Rejected"),
    LeadStatus.EXPIRED: N_("Expired"),
    LeadStatus.CLOSED: N_("Closed"),
}
KINDS: Final = {LeadKind.BUY: N_("Buying"), LeadKind.SELL: N_("Selling")}
DONE: Final = {
    "verified": N_("The lead is verified; its producers are being told."),
    "rejected": N_("The lead is rejected."),
    "closed": N_("The lead is closed."),
}
NEED_REASON: Final = N_("Give the reason, in at most 500 characters.")
REASON_TOO_LONG: Final = N_("The reason may have at most 500 characters.")


@router.get("/leads")
async def lead_list(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    country: str | None = None,
    status: str = "",
    kind: str = "",
    commodity: str | None = None,
    include_expired: bool = False,
    cursor: Id | None = None,
) -> Response:
    # The filter form sends an empty choice for "any".
    page = await leads.list_leads(
        session,
        staff=staff,
        country=country or None,
        status=chosen(LeadStatus, status),
        kind=chosen(LeadKind, kind),
        commodity=commodity or None,
        include_expired=include_expired,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    filters = {
        "country": country or "",
        "status": status or "",
        "kind": kind or "",
        "commodity": commodity or "",
        "include_expired": include_expired,
    }
    return render(
        request,
        "console/leads.html",
        leads=page.items,
        next_cursor=page.next_cursor,
        filters=filters,
        statuses=STATUSES,
        kinds=KINDS,
    )


async def _lead_page(
    request: Request,
    session: AsyncSession,
    staff: Staff,
    settings: Settings,
    lead_id: int,
    *,
    done: str | None = None,
    problem: str | None = None,
    reason: str = "",
) -> Response:
    lead = await leads.get_lead(session, lead_id=lead_id, staff=staff)
    shown: LeadPublic = (await leads.to_public(session, [lead], staff=staff))[0]
    reach: PreviewOut | None = None
    if shown.status is LeadStatus.VERIFIED:
        reach = await alerts.preview(
            session, data=PreviewIn(lead_id=lead_id), staff=staff, settings=settings
        )
    return render(
        request,
        "console/lead.html",
        status_code=422 if problem else 200,
        lead=shown,
        reach=reach,
        statuses=STATUSES,
        kinds=KINDS,
        done=done,
        problem=problem,
        reason=reason,
    )


@router.get("/leads/{lead_id}")
async def lead_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    settings: SettingsDep,
    lead_id: Id,
    done: str | None = None,
) -> Response:
    return await _lead_page(request, session, staff, settings, lead_id, done=DONE.get(done or ""))


def _done(lead_id: int, what: str) -> Response:
    return RedirectResponse(f"{LEADS}/{lead_id}?done={what}", status_code=303)


@router.post("/leads/{lead_id}/verify", dependencies=[CsrfChecked])
async def verify(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    settings: SettingsDep,
    alerts_: AlertsDep,
    lead_id: Id,
) -> Response:
    try:
        await leads.verify_lead(session, lead_id=lead_id, staff=staff, alerts=alerts_)
    except (InvalidInput, Conflict) as refused:
        return await _lead_page(
            request, session, staff, settings, lead_id, problem=str(refused.detail)
        )
    return _done(lead_id, "verified")


@router.post("/leads/{lead_id}/reject", dependencies=[CsrfChecked])
async def reject(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    settings: SettingsDep,
    lead_id: Id,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        decision = LeadDecision(reason=reason)
    except ValidationError:
        return await _lead_page(
            request, session, staff, settings, lead_id, problem=NEED_REASON, reason=reason
        )
    try:
        await leads.reject_lead(session, lead_id=lead_id, staff=staff, reason=decision.reason)
    except (InvalidInput, Conflict) as refused:
        return await _lead_page(
            request, session, staff, settings, lead_id, problem=str(refused.detail), reason=reason
        )
    return _done(lead_id, "rejected")


@router.post("/leads/{lead_id}/close", dependencies=[CsrfChecked])
async def close(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    settings: SettingsDep,
    lead_id: Id,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        data = LeadClose(reason=reason.strip() or None)
    except ValidationError:
        return await _lead_page(
            request, session, staff, settings, lead_id, problem=REASON_TOO_LONG, reason=reason
        )
    try:
        await leads.close_lead(session, lead_id=lead_id, staff=staff, reason=data.reason)
    except (InvalidInput, Conflict) as refused:
        return await _lead_page(
            request, session, staff, settings, lead_id, problem=str(refused.detail), reason=reason
        )
    return _done(lead_id, "closed")
