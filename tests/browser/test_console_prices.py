"""Price review in a real browser: a CDE reads the alert a pending price will trigger before
publishing it, and a Myanmar CDE who types a Cambodian price's address is refused."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import MicServer, OpenPage
from tests.browser.console import add_follower, create_user, sign_in_first_time


def pending_price(api: httpx.Client, **series: str) -> int:
    """A price left pending for review, observed yesterday (a day every zone has seen)."""
    created = api.post(
        "/prices",
        json={**series, "observed_on": (dt.date.today() - dt.timedelta(days=1)).isoformat()},
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    price_id: int = created.json()["id"]
    return price_id


def wait_for(condition: Callable[[], Any], timeout_s: float = 20) -> Any:
    """The condition's first truthy answer, asked until `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while not (answer := condition()):
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.1)
    return answer


MUSE_MANGO = {
    "commodity": "mango",
    "market": "muse",
    "price": "210",
    "currency": "CNY",
    "unit": "basket",
    "price_type": "border",
}
PHNOM_SROK_SILK = {
    "commodity": "silk",
    "market": "phnom-srok",
    "price": "180000",
    "currency": "KHR",
    "unit": "kg",
    "price_type": "farmgate",
}


def signed_in(open_page: OpenPage, mic_server: MicServer, country: str) -> Page:
    page = open_page("phone")
    sign_in_first_time(page, mic_server, create_user(mic_server, role="cde", country=country))
    return page


def test_a_cde_reads_the_alert_preview_then_publishes_the_price(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client
) -> None:
    follower = add_follower(api, leads=False)
    price_id = pending_price(api, **MUSE_MANGO)
    page = signed_in(open_page, mic_server, "MM")
    page.goto(mic_server.url(f"/console/prices/{price_id}"))
    expect(page.locator("#price-status")).to_have_text("Pending")
    # Before publishing: who gets the alert, on which channel, and the Burmese SMS it sends.
    assert int(page.locator("#preview-recipients").inner_text()) >= 1
    assert int(page.locator("#preview-sms").inner_text()) >= 1
    assert int(page.locator("#preview-segments").inner_text()) >= 1
    expect(page.locator("#preview-texts [lang=my]").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    confirm = page.locator("#confirm-outlier")
    if confirm.count():  # far from the demo's history: the page asks to confirm it
        confirm.check()
    page.locator("#publish").click()
    expect(page.locator("#price-status")).to_have_text("Published")
    # The service really published it, and the follower's alert is in the outbox.
    assert api.get(f"/prices/{price_id}").json()["status"] == "published"
    assert wait_for(lambda: api.get("/deliveries", params={"producer": follower}).json()["items"])


def test_a_myanmar_cde_is_refused_a_cambodian_price(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client
) -> None:
    price_id = pending_price(api, **PHNOM_SROK_SILK)
    page = signed_in(open_page, mic_server, "MM")
    response = page.goto(mic_server.url(f"/console/prices/{price_id}"))
    assert response is not None and response.status == 403
    expect(page.locator("[role=alert]")).to_be_visible()
    expect(page.locator("#publish")).to_have_count(0)
    # Nothing was decided on the way.
    assert api.get(f"/prices/{price_id}").json()["status"] == "pending"
