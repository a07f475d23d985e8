"""Errors inside /console become HTML pages in the reader's language (never the API's JSON
shape, never a bare 500); a console redirect becomes a 303. Outside /console every error keeps
the handler app/api/errors.py gave it."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.console.deps import (
    HOME,
    SESSION_COOKIE,
    ConsoleRedirect,
    CsrfRefused,
    recognise_reader,
    sign_in_url,
)
from app.core.errors import AppError, Unauthorized
from app.core.i18n import N_
from app.web.templates import COOKIE_PATH, render

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Response | Awaitable[Response]]

PREFIX: Final = "/console"

# What a page says for each status: a title and a sentence, both translated.
_PAGES: Final[dict[int, tuple[str, str]]] = {
    400: (N_("The request could not be read"), N_("Go back and try again.")),
    403: (
        N_("Not allowed"),
        N_("Your role or your countries do not allow this. Nothing was changed."),
    ),
    404: (N_("Not found"), N_("There is no such page, or the record no longer exists.")),
    405: (N_("Not available"), N_("This page cannot be used that way.")),
    409: (N_("Refused"), N_("This cannot be done in the record's current state.")),
    413: (N_("Too large"), N_("What you sent is larger than MIC accepts.")),
    422: (N_("Check what you entered"), N_("Something in the form is not valid.")),
    500: (
        N_("Something went wrong"),
        N_("MIC could not finish this. The error is logged and nothing was changed."),
    ),
}
_CSRF_PAGE: Final = (
    N_("This form has expired"),
    N_(
        "The page this form was sent from is out of date or did not come from MIC, so nothing "
        "was changed. Go back, reload the page and try again."
    ),
)


def _in_console(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


async def error_page(
    request: Request, status: int, *, detail: str | None = None, page: tuple[str, str] | None = None
) -> Response:
    title, message = page or _PAGES.get(status, _PAGES[500] if status >= 500 else _PAGES[400])
    try:
        await recognise_reader(request)
        return render(
            request,
            "console/error.html",
            status_code=status,
            title=title,
            message=message,
            detail=detail,
            back=HOME,
            back_label=N_("Back to the console"),
        )
    except Exception:
        # The page itself failed (a broken template, a missing catalog): still answer in HTML.
        log.exception("the console's error page failed to render")
        return HTMLResponse(
            "<!doctype html><html lang=en><title>MIC</title><h1>Something went wrong</h1>",
            status_code=status,
        )


def _html_or(api_handler: AnyHandler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not _in_console(request):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        if isinstance(exc, CsrfRefused):
            return await error_page(request, 403, page=_CSRF_PAGE)
        if isinstance(exc, Unauthorized):
            return RedirectResponse(sign_in_url(request.url.path), status_code=303)
        if isinstance(exc, AppError):
            detail = str(exc.detail) if exc.status_code < 500 else None
            return await error_page(request, exc.status_code, detail=detail)
        if isinstance(exc, StarletteHTTPException):
            return await error_page(request, exc.status_code)
        if isinstance(exc, RequestValidationError):
            return await error_page(request, 422)
        return await error_page(request, 500)

    return handle


async def _redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleRedirect)
    response = RedirectResponse(exc.location, status_code=303)
    if exc.end_session:
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


def install_console_errors(app: FastAPI) -> None:
    """Wrap the API's error handlers (install_error_handlers first) so /console answers HTML."""
    for kind in (AppError, StarletteHTTPException, RequestValidationError, Exception):
        api_handler = app.exception_handlers[kind]
        app.add_exception_handler(kind, _html_or(api_handler))
    app.add_exception_handler(ConsoleRedirect, _redirect)
