"""Correcting a price in a real browser, on a phone: a CDE's typing mistake is answered on the
page with what they typed kept, the correction is saved, and the price's history shows the
value it replaced."""

from __future__ import annotations

from decimal import Decimal

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import MicServer, OpenPage
from tests.browser.test_console_prices import MUSE_MANGO, pending_price, signed_in


def test_a_cde_corrects_a_pending_price_on_a_phone_and_reads_the_old_value_in_its_history(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client
) -> None:
    price_id = pending_price(api, **{**MUSE_MANGO, "price": "210"})
    page = signed_in(open_page, mic_server, "MM")
    page.goto(mic_server.url(f"/console/prices/{price_id}"))
    expect(page.locator("#correct-form")).to_be_hidden()  # folded until it is wanted
    page.locator("#correct summary").click()
    expect(page.locator("#c-price")).to_have_value("210")
    expect(page.locator("#c-unit")).to_have_value("basket-16kg")

    page.fill("#c-price", "2,150")
    page.locator("#correct-send").click()
    expect(page.locator("#c-price-error")).to_contain_text("without thousands separators")
    expect(page.locator("#c-price")).to_have_value("2,150")  # kept, to be fixed
    assert Decimal(api.get(f"/prices/{price_id}").json()["price"]) == 210

    page.fill("#c-price", "215")
    page.fill("#c-note", "the reporter misread 215 as 210")
    page.locator("#correct-send").click()
    expect(page.locator("#notice")).to_contain_text("The price is corrected")
    expect(page.locator("#price-status")).to_have_text("Pending")
    newest = page.locator("#history-entries > li").first
    expect(newest).to_contain_text("Corrected")
    expect(newest).to_contain_text("210 → 215")
    expect(page.locator("#history-entries > li").last).to_contain_text("Submitted")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    found = api.get(f"/prices/{price_id}").json()
    assert Decimal(found["price"]) == 215 and found["status"] == "pending"
    assert found["note"] == "the reporter misread 215 as 210"
