"""Changing producers from the console: registering one, editing, recording a stop or a new
consent, and erasure (after a confirmation). Each form calls the service the API route calls,
so every change is checked and audited the same way."""

from __future__ import annotations

from typing import Any, Final, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.accounts.service import Staff
from app.api.deps import SessionDep
from app.catalogue.service import list_countries
from app.console.deps import ConsoleStaff, CsrfChecked
from app.console.producers import CONSENT_CHANNELS, KINDS
from app.core.errors import AppError, InvalidInput
from app.core.i18n import N_
from app.core.ids import Id
from app.lifecycle import producers as lifecycle
from app.producers import listing, service
from app.producers.models import ConsentIn, ProducerCreate, ProducerPublic, ProducerUpdate, StopIn
from app.text.csvfile import first_error
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()
_M = TypeVar("_M", StopIn, ConsentIn)

PRODUCERS: Final = "/console/producers"
NOT_SAVED: Final = N_("Nothing was saved. Correct this and send the form again:")
CONFIRM_ERASE: Final = N_("Tick the box to confirm the erasure.")
# What the form's fields carry into the service's input model (blank means "not given").
_FIELDS: Final = ("name", "country", "kind", "phone", "telegram_chat_id", "locale")
_EDITABLE: Final = (
    "name",
    "kind",
    "phone",
    "telegram_chat_id",
    "locale",
    "quiet_hours",
    "daily_cap",
)


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    values = {}
    for name in names:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


async def _editor(
    request: Request,
    session: SessionDep,
    staff: Staff,
    *,
    values: dict[str, str],
    producer: ProducerPublic | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    countries = await list_countries(session, locale=locale_of(request))
    return render(
        request,
        "console/producer_form.html",
        status_code=status_code,
        producer=producer,
        values=values,
        countries=[c for c in countries if staff.can_see(c.code)],
        kinds=KINDS,
        consent_channels=CONSENT_CHANNELS,
        error=error,
        not_saved=NOT_SAVED,
    )


@router.get("/producers/new")
async def new_producer(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    staff.require_writer()
    values = dict.fromkeys((*_FIELDS, "consent_channel"), "")
    if staff.countries is not None and len(staff.countries) == 1:
        values["country"] = next(iter(staff.countries))
    return await _editor(request, session, staff, values=values, producer=None)


@router.post("/producers/new", dependencies=[CsrfChecked])
async def create_producer(request: Request, session: SessionDep, staff: ConsoleStaff) -> Response:
    values = await _form(request, (*_FIELDS, "consent_channel"))
    fields: dict[str, Any] = {k: v for k, v in values.items() if v and k in _FIELDS}
    if values["consent_channel"]:
        fields["consent"] = {"channel": values["consent_channel"]}
    try:
        data = ProducerCreate.model_validate(fields)
        async with session.begin_nested():
            producer = await service.create_producer(session, data=data, staff=staff)
    except ValidationError as exc:
        error = first_error(exc)
    except AppError as exc:
        if exc.status_code == 403:
            raise
        error = str(exc.detail)
    else:
        return RedirectResponse(f"{PRODUCERS}/{producer.id}?saved=created", status_code=303)
    return await _editor(
        request, session, staff, values=values, producer=None, error=error, status_code=422
    )


async def _public(session: SessionDep, staff: ConsoleStaff, producer_id: int) -> ProducerPublic:
    producer = await service.get_producer(session, producer_id=producer_id, staff=staff)
    return (await listing.to_public(session, [producer], staff=staff))[0]


@router.get("/producers/{producer_id}/edit")
async def edit_producer(
    request: Request, session: SessionDep, staff: ConsoleStaff, producer_id: Id
) -> Response:
    staff.require_writer()
    shown = await _public(session, staff, producer_id)
    values = {
        name: "" if getattr(shown, name) is None else str(getattr(shown, name))
        for name in _EDITABLE
    }
    return await _editor(request, session, staff, values=values, producer=shown)


@router.post("/producers/{producer_id}/edit", dependencies=[CsrfChecked])
async def update_producer(
    request: Request, session: SessionDep, staff: ConsoleStaff, producer_id: Id
) -> Response:
    shown = await _public(session, staff, producer_id)
    values = await _form(request, _EDITABLE)
    # Only what the form changed goes to the service: an address left as it was is not
    # replaced (which would detach its deliveries).
    changed = {
        name: value
        for name, value in values.items()
        if value != ("" if getattr(shown, name) is None else str(getattr(shown, name)))
    }
    if not changed:
        return RedirectResponse(f"{PRODUCERS}/{producer_id}", status_code=303)
    try:
        data = ProducerUpdate.model_validate({k: v or None for k, v in changed.items()})
        async with session.begin_nested():
            await lifecycle.update_producer(
                session, producer_id=producer_id, staff=staff, data=data
            )
    except ValidationError as exc:
        error = first_error(exc)
    except AppError as exc:
        if exc.status_code in (403, 404):
            raise
        error = str(exc.detail)
    else:
        return RedirectResponse(f"{PRODUCERS}/{producer_id}?saved=updated", status_code=303)
    return await _editor(
        request, session, staff, values=values, producer=shown, error=error, status_code=422
    )


def _channel(model: type[_M], values: dict[str, str]) -> _M:
    """The one field of a stop or consent form; a channel not on the list is refused whole."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc)) from exc


@router.post("/producers/{producer_id}/stop", dependencies=[CsrfChecked])
async def stop_producer(
    request: Request, session: SessionDep, staff: ConsoleStaff, producer_id: Id
) -> Response:
    data = _channel(StopIn, await _form(request, ("channel",)))
    await service.stop_producer(session, producer_id=producer_id, staff=staff, data=data)
    return RedirectResponse(f"{PRODUCERS}/{producer_id}?saved=stopped", status_code=303)


@router.post("/producers/{producer_id}/consent", dependencies=[CsrfChecked])
async def record_consent(
    request: Request, session: SessionDep, staff: ConsoleStaff, producer_id: Id
) -> Response:
    data = _channel(ConsentIn, await _form(request, ("channel",)))
    await service.record_consent(session, producer_id=producer_id, staff=staff, data=data)
    return RedirectResponse(f"{PRODUCERS}/{producer_id}?saved=consent", status_code=303)


@router.get("/producers/{producer_id}/erase")
async def erase_page(
    request: Request, session: SessionDep, staff: ConsoleStaff, producer_id: Id
) -> Response:
    staff.require_writer()
    shown = await _public(session, staff, producer_id)
    return render(request, "console/producer_erase.html", producer=shown, error=None)


@router.post("/producers/{producer_id}/erase", dependencies=[CsrfChecked])
async def erase_producer(
    request: Request, session: SessionDep, staff: ConsoleStaff, producer_id: Id
) -> Response:
    values = await _form(request, ("confirm",))
    if values["confirm"] != "yes":
        staff.require_writer()
        shown = await _public(session, staff, producer_id)
        return render(
            request,
            "console/producer_erase.html",
            status_code=422,
            producer=shown,
            error=CONFIRM_ERASE,
        )
    await lifecycle.erase_producer(session, producer_id=producer_id, staff=staff)
    return RedirectResponse(f"{PRODUCERS}?erased=1", status_code=303)
