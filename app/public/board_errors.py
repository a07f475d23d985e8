"""Errors on the board's pages (`/` and `/board/...`) become pages in the reader's language:
an unknown country, market or commodity a 404, an option of the address that is not valid a
422 naming it, and anything else never a bare 500 in the API's JSON. Outside the board every
error keeps the handler it had."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError, InvalidInput
from app.core.i18n import N_
from app.public.board_reader import BoardReader, chosen_locale
from app.web.templates import render_html

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Response | Awaitable[Response]]

BOARD_PREFIX: Final = "/board/"

NOT_FOUND: Final = (
    N_("Not found"),
    N_("There is no such country, market or commodity on the price board."),
)
BAD_OPTION: Final = (
    N_("This address is not valid"),
    N_("The option “%(option)s” in the address is not valid. Choose it again on the page."),
)
FAILED: Final = (
    N_("Something went wrong"),
    N_("The price board could not show this page. Please try again later."),
)


class BadOption(InvalidInput):
    """A query option of a board page that is not valid (an unknown unit, days out of range)."""

    def __init__(self, option: str) -> None:
        super().__init__(f"{option} is not valid")
        self.option = option


def is_board_page(path: str) -> bool:
    return path == "/" or path.startswith(BOARD_PREFIX)


def _invalid_options(exc: RequestValidationError) -> str:
    names = [str(e["loc"][-1]) for e in exc.errors() if e.get("loc")]
    return ", ".join(dict.fromkeys(names)) or "?"


def error_page(request: Request, exc: Exception) -> Response:
    """The page for `exc`, with its status, in the language the reader would have read."""
    if isinstance(exc, BadOption):
        status, (title, message), option = 422, BAD_OPTION, exc.option
    elif isinstance(exc, RequestValidationError):
        status, (title, message), option = 422, BAD_OPTION, _invalid_options(exc)
    elif isinstance(exc, AppError | StarletteHTTPException) and exc.status_code == 404:
        status, (title, message), option = 404, NOT_FOUND, ""
    elif isinstance(exc, AppError | StarletteHTTPException) and exc.status_code < 500:
        status, (title, message), option = exc.status_code, BAD_OPTION, "?"
    else:
        status, (title, message), option = 500, FAILED, ""
    try:
        # The address's own language when it is a valid one; the options are not trusted.
        reader = BoardReader(locale=chosen_locale(request, request.query_params.get("lang")))
        html = render_html(
            "public/error.html",
            reader.translator,
            reader=reader,
            title=title,
            message=message,
            option=option,
        )
    except Exception:
        log.exception("the board's error page failed to render")
        html = "<!doctype html><html lang=en><title>MIC</title><h1>Something went wrong</h1>"
    # An error is of this moment: no cache keeps it in place of the page once it is fixed.
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _html_or(handler: AnyHandler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_board_page(request.url.path):
            if not isinstance(exc, AppError | StarletteHTTPException | RequestValidationError):
                log.error("board page failed", exc_info=exc)
            return error_page(request, exc)
        answer = handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handle


def install_board_errors(app: FastAPI) -> None:
    """Wrap the handlers installed before (the API's, the console's) so the board answers in
    pages."""
    for kind in (AppError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, _html_or(app.exception_handlers[kind]))
