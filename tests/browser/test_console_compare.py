"""Comparing markets in a real browser: a Myanmar CDE on a phone fills the comparison form
(no JavaScript needed) for mango at Muse and Mandalay, and reads a chart with a line per market
and the exchange rates that converted the yuan prices named; the page and a market's board stay
light enough for a weak connection."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import MicServer, OpenPage
from tests.browser.console import create_user, sign_in_first_time
from tests.browser.weight import PAGE_BUDGET, first_load

COMPARE = "/console/prices/compare"


def days_ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def mango_at_muse_and_mandalay(api: httpx.Client) -> str:
    """Published mango prices at Muse (yuan per tonne) and Mandalay (kyat per viss), and the
    dollar rates that compare them, published by a source of this test's own; returns its
    name."""
    source = f"cbm-{secrets.token_hex(3)}"
    for base, quote, rate in (("USD", "MMK", "2100"), ("USD", "CNY", "7.2")):
        added = api.post(
            "/fx-rates",
            json={
                "base": base,
                "quote": quote,
                "rate": rate,
                "on_date": days_ago(20),
                "source": source,
            },
        )
        assert added.status_code == 201, added.text
    prices: list[dict[str, Any]] = [
        {
            "market": "muse",
            "price": price,
            "currency": "CNY",
            "unit": "tonne",
            "price_type": "border",
        }
        for price in ("12600", "12960")
    ] + [
        {
            "market": "mandalay",
            "price": price,
            "currency": "MMK",
            "unit": "viss",
            "price_type": "wholesale",
        }
        for price in ("6532", "6858.6")
    ]
    for n, body in enumerate(prices):
        created = api.post(
            "/prices",
            json={
                **body,
                "commodity": "mango",
                "observed_on": days_ago(10 if n % 2 == 0 else 3),
                "publish": True,
                "confirm_outlier": True,
            },
        )
        assert created.status_code == 201, created.text
    return source


def no_horizontal_scroll(page: Page) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    )


def test_a_cde_compares_mango_at_two_markets_on_a_phone(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client, browser: Browser
) -> None:
    source = mango_at_muse_and_mandalay(api)
    page = open_page("phone")
    sign_in_first_time(page, mic_server, create_user(mic_server, role="cde", country="MM"))
    page.goto(mic_server.url("/console/prices"))
    page.locator("#compare-markets").click()
    page.select_option("#f-commodity", "mango")
    page.select_option("#f-unit", "kg")
    page.select_option("#f-currency", "MMK")
    page.locator("#show").click()
    # The markets with mango prices are offered; tick Muse and Mandalay only.
    boxes = page.locator("#f-markets input[type=checkbox]")
    expect(boxes.first).to_be_visible()
    for value in boxes.evaluate_all("boxes => boxes.map(b => b.value)"):
        page.locator(f"#market-{value}").set_checked(value in ("muse", "mandalay"))
    page.locator("#show").click()
    expect(page).to_have_url(re.compile(re.escape(mic_server.url(COMPARE)) + r"\?"))
    asked = parse_qs(urlsplit(page.url).query, keep_blank_values=True)
    assert (asked["commodity"], asked["unit"], asked["currency"]) == (["mango"], ["kg"], ["MMK"])
    assert sorted(asked["market"]) == ["mandalay", "muse"]

    chart = page.locator("#chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("g.series")).to_have_count(2)
    expect(chart.locator("g.series path")).to_have_count(2)  # two lines, each through its days
    legend = chart.locator("text.legend-label").all_text_contents()
    assert sorted(legend) == ["Mandalay", "Muse"]
    rates = page.locator("#rates")
    expect(rates).to_contain_text(f"1 USD = 7.2 CNY · {source}")
    expect(rates).to_contain_text(f"1 USD = 2,100 MMK · {source}")
    expect(page.locator("#points")).to_contain_text("MMK3,675")  # 12.6 CNY/kg in kyat
    no_horizontal_scroll(page)

    signed_in = page.context.storage_state()
    for path in (page.url.removeprefix(mic_server.base_url), "/console/markets/muse"):
        weight = first_load(browser, mic_server.url(path), signed_in=signed_in)
        print(weight.describe())
        assert mic_server.url(path) in weight.resources  # signed in, not sent to sign in
        assert weight.without_fonts < PAGE_BUDGET, weight.describe()
