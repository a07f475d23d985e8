"""Notices in the console: the list with each notice's audience and delivery progress,
composing one (a text per language, the SMS preview of every variant with its segments and
cost, a warning for each language its readers lack), editing, scheduling or sending it, and
cancelling one that has not gone out. Every step is the API's own service call."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.alerts import service as alerts
from app.alerts.models import BroadcastPublic, PreviewIn, PreviewOut
from app.api.deps import SessionDep, SettingsDep
from app.catalogue.service import country_zones, list_countries
from app.console.deps import ConsoleStaff, CsrfChecked
from app.console.filters import chosen
from app.console.notice_form import TEXT_LANGUAGES, NoticeForm, Problem, to_create
from app.core.config import Settings
from app.core.errors import Conflict, InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.notices import service as notices
from app.notices.models import Notice, NoticeCreate, NoticeStatus
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

NOTICES: Final = "/console/notices"
PAGE_SIZE: Final = 20
STATUSES: Final = {
    NoticeStatus.DRAFT: N_("Draft"),
    NoticeStatus.SCHEDULED: N_("Scheduled"),
    NoticeStatus.SENT: N_("Sent"),
    NoticeStatus.CANCELLED: N_("Cancelled"),
}
SAVED: Final = {
    "draft": N_("The draft is saved."),
    "scheduled": N_("The notice is scheduled."),
    "sent": N_("The notice is being sent."),
    "cancelled": N_("The notice is cancelled."),
}


async def _progress(session: AsyncSession, staff: Staff, notice_id: int) -> BroadcastPublic | None:
    """The broadcast a sent notice became, with its deliveries counted by status."""
    page = await alerts.list_broadcasts(session, staff=staff, notice_id=notice_id, limit=1)
    return page.items[0] if page.items else None


@router.get("/notices")
async def notice_list(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    status: str = "",
    cursor: Id | None = None,
    saved: str | None = None,
) -> Response:
    page = await notices.list_notices(
        session, staff=staff, status=chosen(NoticeStatus, status), cursor=cursor, limit=PAGE_SIZE
    )
    progress = {
        n.id: await _progress(session, staff, n.id)
        for n in page.items
        if n.status is NoticeStatus.SENT
    }
    return render(
        request,
        "console/notices.html",
        notices=page.items,
        next_cursor=page.next_cursor,
        status=status,
        statuses=STATUSES,
        progress=progress,
        zones=await country_zones(session),
        notice_saved=SAVED.get(saved or ""),
    )


async def _compose(
    request: Request,
    session: AsyncSession,
    staff: Staff,
    form: NoticeForm,
    *,
    notice: Notice | None = None,
    preview: PreviewOut | None = None,
    problems: list[Problem] | None = None,
    progress: BroadcastPublic | None = None,
    notice_saved: str | None = None,
) -> Response:
    return render(
        request,
        "console/notice.html",
        status_code=422 if problems else 200,
        notice=notice,
        form=form,
        languages=TEXT_LANGUAGES,
        countries=[
            c
            for c in await list_countries(session, locale=locale_of(request))
            if staff.can_see(c.code)
        ],
        preview=preview,
        problems=problems or [],
        statuses=STATUSES,
        progress=progress,
        zones=await country_zones(session),
        notice_saved=notice_saved,
    )


async def _preview(
    session: AsyncSession, staff: Staff, settings: Settings, data: NoticeCreate
) -> PreviewOut:
    return await alerts.preview(
        session, data=PreviewIn(notice=data), staff=staff, settings=settings
    )


@router.get("/notices/new")
async def new_notice(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    staff.require_writer()
    form = NoticeForm(countries=sorted(staff.countries) if staff.countries is not None else [])
    return await _compose(request, session, staff, form)


async def _act(
    request: Request,
    session: AsyncSession,
    staff: Staff,
    settings: Settings,
    notice: Notice | None,
) -> Response:
    """One press of the compose form's buttons: preview it, save it as a draft, schedule it, or
    send it now; a new notice is created, an unsent one rewritten."""
    staff.require_writer()
    form_data = await request.form()
    form = NoticeForm.read(form_data)
    action = form_data.get("action", "preview")
    zones = await country_zones(session)
    data = to_create(form, zones, scheduled=action == "schedule")
    if isinstance(data, list):
        return await _compose(request, session, staff, form, notice=notice, problems=data)
    try:
        if action not in ("draft", "schedule", "send"):
            preview = await _preview(session, staff, settings, data)
            return await _compose(request, session, staff, form, notice=notice, preview=preview)
        if notice is None:
            notice = await notices.create_notice(session, data=data, staff=staff)
        else:
            assert notice.id is not None
            notice = await notices.update_notice(
                session, notice_id=notice.id, data=data, staff=staff
            )
        assert notice.id is not None
        if action == "send":
            await alerts.send_notice(session, notice_id=notice.id, staff=staff, settings=settings)
    except (InvalidInput, Conflict) as refused:
        problem = Problem(str(refused.detail))
        return await _compose(request, session, staff, form, notice=notice, problems=[problem])
    saved = {"draft": "draft", "schedule": "scheduled", "send": "sent"}[str(action)]
    return RedirectResponse(f"{NOTICES}/{notice.id}?saved={saved}", status_code=303)


@router.post("/notices/new", dependencies=[CsrfChecked])
async def create_notice(
    request: Request, session: SessionDep, staff: ConsoleStaff, settings: SettingsDep
) -> Response:
    return await _act(request, session, staff, settings, None)


@router.post("/notices/preview", dependencies=[CsrfChecked])
async def preview_fragment(
    request: Request, session: SessionDep, staff: ConsoleStaff, settings: SettingsDep
) -> Response:
    """The preview alone, as HTML, for the page's script to show as the CDE types."""
    staff.require_writer()
    form = NoticeForm.read(await request.form())
    data = to_create(form, await country_zones(session), scheduled=False)
    preview: PreviewOut | None = None
    problems: list[Problem] = []
    if isinstance(data, list):
        problems = data
    else:
        try:
            preview = await _preview(session, staff, settings, data)
        except InvalidInput as refused:
            problems = [Problem(str(refused.detail))]
    return render(
        request,
        "console/notice_preview.html",
        status_code=422 if problems else 200,
        preview=preview,
        problems=problems,
        languages=TEXT_LANGUAGES,
    )


@router.get("/notices/{notice_id}")
async def notice_page(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    settings: SettingsDep,
    notice_id: Id,
    saved: str | None = None,
) -> Response:
    notice = await notices.get_notice(session, notice_id=notice_id, staff=staff)
    form = NoticeForm.of(notice, await country_zones(session))
    preview = progress = None
    if notice.status is NoticeStatus.SENT:
        progress = await _progress(session, staff, notice_id)
    elif notice.status is not NoticeStatus.CANCELLED:
        preview = await alerts.preview(
            session, data=PreviewIn(notice_id=notice_id), staff=staff, settings=settings
        )
    return await _compose(
        request,
        session,
        staff,
        form,
        notice=notice,
        preview=preview,
        progress=progress,
        notice_saved=SAVED.get(saved or ""),
    )


@router.post("/notices/{notice_id}", dependencies=[CsrfChecked])
async def edit_notice(
    request: Request,
    session: SessionDep,
    staff: ConsoleStaff,
    settings: SettingsDep,
    notice_id: Id,
) -> Response:
    notice = await notices.get_notice(session, notice_id=notice_id, staff=staff)
    return await _act(request, session, staff, settings, notice)


@router.post("/notices/{notice_id}/cancel", dependencies=[CsrfChecked])
async def cancel_notice(session: SessionDep, staff: ConsoleStaff, notice_id: Id) -> Response:
    await notices.cancel_notice(session, notice_id=notice_id, staff=staff)
    return RedirectResponse(f"{NOTICES}/{notice_id}?saved=cancelled", status_code=303)
