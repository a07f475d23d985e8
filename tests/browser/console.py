"""Staff users of the console as the browser tests create and sign them in: through `mic user
create` and the sign-in form, exactly as a person does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from tests.browser.conftest import MicServer

SIGN_IN = "/console/sign-in"
ACCOUNT = "/console/account"


@dataclass(frozen=True)
class StaffUser:
    name: str
    password: str


def create_user(
    server: MicServer, *, role: str, country: str | None, locale: str = "en"
) -> StaffUser:
    """A new staff user with a one-time password they must replace at their first sign-in."""
    name = f"{role}-{secrets.token_hex(4)}"
    one_time = secrets.token_urlsafe(12)
    scope = ["--country", country] if country else []
    server.mic(
        *("user", "create", "--name", name, "--role", role, *scope, "--locale", locale),
        "--password-stdin",
        stdin=one_time + "\n",
    )
    return StaffUser(name, one_time)


def submit_sign_in(page: Page, server: MicServer, name: str, password: str) -> None:
    page.goto(server.url(SIGN_IN))
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.locator("form[action='/console/sign-in'] button[type=submit]").click()


def sign_in_first_time(page: Page, server: MicServer, user: StaffUser) -> StaffUser:
    """Sign in with the one-time password and choose one's own, as the console requires; the
    browser is then on the account page, signed in. Returns the user with their new password."""
    submit_sign_in(page, server, user.name, user.password)
    expect(page).to_have_url(server.url(ACCOUNT))
    own = StaffUser(user.name, secrets.token_urlsafe(16))
    page.fill("input[name=current]", user.password)
    page.fill("input[name=new]", own.password)
    page.fill("input[name=repeat]", own.password)
    page.locator("form:has(input[name=change][value=password]) button[type=submit]").click()
    # The console's front door, which leads to the account page while there is no other.
    expect(page.locator("input[name=change][value=password]")).to_have_count(1)
    expect(page.locator("p.notice")).to_have_count(0)  # no "choose a password" reminder left
    return own
