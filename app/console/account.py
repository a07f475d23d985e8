"""Your account: who you are in MIC (name, role, countries), the language of your pages, and
your password."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.models import Role
from app.accounts.passwords import MIN_LENGTH, PasswordProblem, PasswordRefused
from app.accounts.users import change_password, set_locale
from app.api.deps import SessionDep
from app.console.deps import ACCOUNT, HOME, ConsoleSession, CsrfChecked
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.web.templates import render

router = APIRouter()

# Each language named in itself, so that a reader finds theirs whatever the page's language.
LANGUAGES: Final = (
    ("en", "English"),
    ("my", "မြန်မာ"),
    ("km", "ខ្មែរ"),
    ("lo", "ລາວ"),
    ("vi", "Tiếng Việt"),
)
ROLES: Final = {
    Role.ADMIN: N_("Administrator"),
    Role.CDE: N_("Cluster development executive"),
    Role.VIEWER: N_("Viewer"),
}
ALL_COUNTRIES: Final = N_("All countries")
PASSWORD_PROBLEMS: Final = {
    PasswordProblem.TOO_SHORT: N_("The new password is too short."),
    PasswordProblem.TOO_LONG: N_("The new password is too long."),
    PasswordProblem.SPACES: N_("A password may not begin or end with a space."),
    PasswordProblem.IS_NAME: N_("A password may not be your name."),
    PasswordProblem.WRONG_CURRENT: N_("The current password is not right."),
    PasswordProblem.UNCHANGED: N_("The new password must differ from the current one."),
}
REPEAT_DIFFERS: Final = N_("The two new passwords are not the same.")
UNKNOWN_LANGUAGE: Final = N_("Choose one of the languages listed.")
SAVED: Final = {
    "language": N_("The language is saved."),
    "password": N_("Your password is changed. Your other signed-in browsers are signed out."),
}


def _page(
    request: Request,
    current: ConsoleSession,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    staff = current.staff
    return render(
        request,
        "console/account.html",
        status_code=status_code,
        role_name=ROLES[staff.role],
        countries=", ".join(sorted(staff.countries)) if staff.countries is not None else None,
        all_countries=ALL_COUNTRIES,
        languages=LANGUAGES,
        min_length=MIN_LENGTH,
        must_change=current.password_is_temporary,
        notice=notice,
        error=error,
    )


@router.get("/account")
async def account_page(
    request: Request, current: ConsoleSession, saved: str | None = None
) -> Response:
    return _page(request, current, notice=SAVED.get(saved or ""))


@router.post("/account", dependencies=[CsrfChecked])
async def account_form(
    request: Request,
    session: SessionDep,
    current: ConsoleSession,
    change: Annotated[str, Form(max_length=20)],
    locale: Annotated[str, Form(max_length=20)] = "",
    current_password: Annotated[str, Form(alias="current", max_length=1000)] = "",
    new_password: Annotated[str, Form(alias="new", max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if change == "language":
        try:
            await set_locale(session, staff=current.staff, locale=locale)
        except InvalidInput:
            return _page(request, current, status_code=422, error=UNKNOWN_LANGUAGE)
        return RedirectResponse(f"{ACCOUNT}?saved=language", status_code=303)
    if change == "password":
        if new_password != repeat:
            return _page(request, current, status_code=422, error=REPEAT_DIFFERS)
        try:
            await change_password(
                session,
                staff=current.staff,
                current=current_password,
                new=new_password,
                keep_session=current.session_id,
            )
        except PasswordRefused as refused:
            return _page(request, current, status_code=422, error=PASSWORD_PROBLEMS[refused.reason])
        # A first password of one's own opens the rest of the console.
        target = HOME if current.password_is_temporary else f"{ACCOUNT}?saved=password"
        return RedirectResponse(target, status_code=303)
    raise InvalidInput(f"unknown change {change!r}; the account page changes language or password")
