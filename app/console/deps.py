"""What every console page depends on: the signed-in staff member (the same `Staff` the API
builds from a token, so the same role and country checks apply), and the CSRF check of every
form post."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Final
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request

from app.accounts.service import Staff
from app.accounts.sign_in import Resumed, SessionExpired, record_seen, resume
from app.api.deps import SessionDep, SettingsDep, get_database, write_aside
from app.core.config import Settings
from app.core.errors import Forbidden, Unauthorized
from app.web.page import CSRF_FIELD, Reader, anonymous_csrf_token, reader_of, set_reader

SESSION_COOKIE: Final = "mic_console"
HOME: Final = "/console/"
SIGN_IN: Final = "/console/sign-in"
ACCOUNT: Final = "/console/account"
SIGN_OUT: Final = "/console/sign-out"
# Where a user whose password is a one-time one may go: choosing their own, or leaving.
_WITH_ONE_TIME_PASSWORD: Final = frozenset({ACCOUNT, SIGN_OUT})


class ConsoleRedirect(Exception):
    """Leave this request for another page (303, See Other)."""

    def __init__(self, location: str, *, end_session: bool = False) -> None:
        super().__init__(location)
        self.location = location
        self.end_session = end_session  # the browser's session cookie is stale: clear it


class CsrfRefused(Forbidden):
    """A form post without its page's CSRF token: nothing is done."""

    code = "csrf_refused"


def local_next(value: str | None) -> str:
    """Where to go after sign-in: a path of the console, never another site (an open redirect
    would lend MIC's name to a phishing page)."""
    if not value:
        return HOME
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or "\\" in value
        or value.startswith("//")
        or not (parts.path == "/console" or parts.path.startswith("/console/"))
        or ".." in parts.path.split("/")
        or parts.path.startswith(SIGN_IN)
    ):
        return HOME
    return value


def sign_in_url(next_path: str | None = None, *, expired: bool = False) -> str:
    query: dict[str, str] = {}
    if next_path and local_next(next_path) != HOME:
        query["next"] = next_path
    if expired:
        query["expired"] = "1"
    return f"{SIGN_IN}?{urlencode(query)}" if query else SIGN_IN


async def optional_session(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Resumed | None:
    """The request's valid console session, or None. An expired one is remembered on the
    request, so that the sign-in page can say why it is shown."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        found = await resume(
            session,
            token=token,
            key=settings.secret_key.get_secret_value(),
            idle=dt.timedelta(minutes=settings.console_idle_minutes),
            lifetime=dt.timedelta(hours=settings.console_session_hours),
        )
    except SessionExpired:
        request.state.session_expired = True
        return None
    except Unauthorized:
        return None
    if found.record_seen:
        session_id = found.session_id
        await write_aside(request, session, lambda writer: record_seen(writer, session_id))
    set_reader(request, Reader(staff=found.staff, locale=found.locale, csrf_token=found.csrf_token))
    return found


async def recognise_reader(request: Request) -> None:
    """Who reads a page no route's dependencies ran for (a 404, a 405), so that it is in their
    language: looked up read-only, nothing recorded. Any failure leaves the page in English."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or reader_of(request) is not None:
        return
    settings: Settings = request.app.state.settings
    try:
        async with get_database(request).read_session() as session:
            found = await resume(
                session,
                token=token,
                key=settings.secret_key.get_secret_value(),
                idle=dt.timedelta(minutes=settings.console_idle_minutes),
                lifetime=dt.timedelta(hours=settings.console_session_hours),
            )
    except Exception:
        return
    set_reader(request, Reader(staff=found.staff, locale=found.locale, csrf_token=found.csrf_token))


def _requested(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def require_session(
    request: Request, found: Annotated[Resumed | None, Depends(optional_session)]
) -> Resumed:
    """The signed-in session, or a redirect to sign in (and back here afterwards)."""
    if found is None:
        expired = bool(getattr(request.state, "session_expired", False))
        raise ConsoleRedirect(
            sign_in_url(_requested(request), expired=expired), end_session=expired
        )
    if found.password_is_temporary and request.url.path not in _WITH_ONE_TIME_PASSWORD:
        raise ConsoleRedirect(ACCOUNT)
    return found


async def get_console_staff(found: Annotated[Resumed, Depends(require_session)]) -> Staff:
    return found.staff


ConsoleSession = Annotated[Resumed, Depends(require_session)]
ConsoleStaff = Annotated[Staff, Depends(get_console_staff)]


async def verify_csrf(
    request: Request, found: Annotated[Resumed | None, Depends(optional_session)]
) -> None:
    """Every form post echoes the CSRF token of its page (field `csrf_token`): the session's,
    or before sign-in the browser's own. Another site can make a browser post a form to MIC,
    but cannot read the token to put in it."""
    if found is None and request.url.path != SIGN_IN:
        expired = bool(getattr(request.state, "session_expired", False))
        raise ConsoleRedirect(sign_in_url(request.url.path, expired=expired), end_session=expired)
    expected = found.csrf_token if found is not None else anonymous_csrf_token(request)
    sent = (await request.form()).get(CSRF_FIELD)
    if (
        expected is None
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRefused("the form's security token is missing or out of date; nothing was done")


CsrfChecked = Depends(verify_csrf)
