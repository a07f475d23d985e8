"""What a page rendered for one request knows of its reader: their language, who they are,
and the CSRF token their forms echo. The edge that checks who is signed in sets it once per
request; templates and error pages read it from there."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from fastapi import Request

from app.accounts.service import Staff
from app.core.i18n import FALLBACK_LOCALE

# Before sign-in there is no session to hold a CSRF token: the sign-in form echoes one kept in a
# cookie of its own instead (a page of another site can neither read nor set it).
ANONYMOUS_CSRF_COOKIE: Final = "mic_console_csrf"
CSRF_FIELD: Final = "csrf_token"
_TOKEN_LENGTH: Final = 43  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Reader:
    """The signed-in staff member a page is for."""

    staff: Staff
    locale: str
    csrf_token: str


def set_reader(request: Request, reader: Reader) -> None:
    request.state.reader = reader


def reader_of(request: Request) -> Reader | None:
    reader = getattr(request.state, "reader", None)
    return reader if isinstance(reader, Reader) else None


def locale_of(request: Request) -> str:
    reader = reader_of(request)
    return reader.locale if reader is not None else FALLBACK_LOCALE


def anonymous_csrf_token(request: Request) -> str | None:
    """The CSRF token of a browser that is not signed in, as its cookie holds it."""
    value = request.cookies.get(ANONYMOUS_CSRF_COOKIE, "")
    return value if len(value) == _TOKEN_LENGTH and value.isascii() else None


def csrf_token(request: Request) -> str:
    """The token this request's forms must echo: the session's, or before sign-in the
    browser's own (a new one is made, and render() sets its cookie)."""
    reader = reader_of(request)
    if reader is not None:
        return reader.csrf_token
    token = anonymous_csrf_token(request) or getattr(request.state, "new_anonymous_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_anonymous_csrf = token
    return str(token)
