"""Signing in and out of the console."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.sign_in import Resumed, sign_in, sign_out
from app.api.deps import SessionDep, SettingsDep
from app.console.deps import SESSION_COOKIE, CsrfChecked, local_next, optional_session
from app.core.i18n import N_
from app.web.page import ANONYMOUS_CSRF_COOKIE
from app.web.templates import COOKIE_PATH, render, set_cookie

router = APIRouter()

REFUSED: Final = N_(
    "The name or password is not right, or the account is locked for a while after too many "
    "attempts. Try again, or ask an administrator."
)
EXPIRED: Final = N_("Your session has ended. Sign in again to go on.")
SIGNED_OUT: Final = N_("You are signed out.")


@router.get("/sign-in")
async def sign_in_page(
    request: Request,
    found: Annotated[Resumed | None, Depends(optional_session)],
    next: str | None = None,
    expired: str | None = None,
    signed_out: str | None = None,
) -> Response:
    if found is not None:
        return RedirectResponse(local_next(next), status_code=303)
    notice = None
    if expired or getattr(request.state, "session_expired", False):
        notice = EXPIRED
    elif signed_out:
        notice = SIGNED_OUT
    return render(
        request,
        "console/sign_in.html",
        next=local_next(next),
        username="",
        notice=notice,
        error=None,
    )


@router.post("/sign-in", dependencies=[CsrfChecked])
async def sign_in_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    signed_in = await sign_in(
        session, name=username, password=password, key=settings.secret_key.get_secret_value()
    )
    if signed_in is None:
        return render(
            request,
            "console/sign_in.html",
            status_code=401,
            next=local_next(next),
            username=username.strip()[:80],
            notice=None,
            error=REFUSED,
        )
    response = RedirectResponse(local_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, signed_in.token)
    response.delete_cookie(ANONYMOUS_CSRF_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/sign-out", dependencies=[CsrfChecked])
async def sign_out_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await sign_out(session, token=token, key=settings.secret_key.get_secret_value())
    response = RedirectResponse("/console/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
