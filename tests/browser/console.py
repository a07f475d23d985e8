"""Staff users of the console as the browser tests create and sign them in: through `mic user
create` and the sign-in form, exactly as a person does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import MicServer

HOME = "/console/"
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
    browser then opens the Today page and goes on to the account page, signed in. Returns the
    user with their new password."""
    submit_sign_in(page, server, user.name, user.password)
    expect(page).to_have_url(server.url(ACCOUNT))
    own = StaffUser(user.name, secrets.token_urlsafe(16))
    page.fill("input[name=current]", user.password)
    page.fill("input[name=new]", own.password)
    page.fill("input[name=repeat]", own.password)
    page.locator("form:has(input[name=change][value=password]) button[type=submit]").click()
    # A password of one's own opens the console's front door, the Today page.
    expect(page).to_have_url(server.url(HOME))
    expect(page.locator("#pending-prices")).to_have_count(1)
    page.goto(server.url(ACCOUNT))
    expect(page.locator("p.notice")).to_have_count(0)  # no "choose a password" reminder left
    return own


def add_follower(api: httpx.Client, *, leads: bool) -> int:
    """A Burmese-reading producer at Muse, on SMS, following mango (and its buyer leads)."""
    created = api.post(
        "/producers",
        json={
            "name": "Daw Aye",
            "country": "MM",
            "locale": "my",
            "kind": "farmer",
            "phone": f"+95925{secrets.randbelow(10**7):07d}",
            "quiet_hours": "00:00-00:00",
            "consent": {"channel": "paper"},
        },
    )
    assert created.status_code == 201, created.text
    producer_id: int = created.json()["id"]
    subscribed = api.post(
        f"/producers/{producer_id}/subscriptions",
        json={"commodity": "mango", "market": "muse", "rule": "every", "leads": leads},
    )
    assert subscribed.status_code == 201, subscribed.text
    return producer_id
