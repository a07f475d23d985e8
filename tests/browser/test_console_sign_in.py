"""Signing in to the console and the account page in a real browser: at phone width, in
Burmese, drawn with MIC's own web font, light enough for a weak connection."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import MicServer, OpenPage
from tests.browser.console import (
    ACCOUNT,
    SIGN_IN,
    create_user,
    sign_in_first_time,
    submit_sign_in,
)
from tests.browser.fonts import fonts_drawing
from tests.browser.weight import PAGE_BUDGET, first_load


def test_a_cde_signs_in_at_phone_width(open_page: OpenPage, mic_server: MicServer) -> None:
    page = open_page("phone")
    user = create_user(mic_server, role="cde", country="MM")
    sign_in_first_time(page, mic_server, user)
    expect(page).to_have_url(mic_server.url(ACCOUNT))
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(user.name)
    expect(facts).to_contain_text("Cluster development executive")
    expect(facts).to_contain_text("MM")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_wrong_password_shows_the_error_and_keeps_the_name(
    page: Page, mic_server: MicServer
) -> None:
    user = create_user(mic_server, role="cde", country="MM")
    submit_sign_in(page, mic_server, user.name, user.password + "-wrong")
    expect(page).to_have_url(mic_server.url(SIGN_IN))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The name or password is not right")
    expect(page.locator("input[name=username]")).to_have_value(user.name)
    expect(page.locator("input[name=password]")).to_have_value("")
    # Nothing opened: the account page still asks for a sign-in.
    page.goto(mic_server.url(ACCOUNT))
    expect(page).to_have_url(mic_server.url(SIGN_IN) + "?next=%2Fconsole%2Faccount")
    # The right password still works after the wrong one.
    submit_sign_in(page, mic_server, user.name, user.password)
    expect(page).to_have_url(mic_server.url(ACCOUNT))


@pytest.fixture
def burmese_cde(open_page: OpenPage, mic_server: MicServer) -> Page:
    """A Burmese-speaking CDE of Myanmar, signed in on a phone, on their account page."""
    page = open_page("phone")
    sign_in_first_time(
        page, mic_server, create_user(mic_server, role="cde", country="MM", locale="my")
    )
    return page


def test_the_account_page_in_burmese_is_drawn_with_the_web_font(burmese_cde: Page) -> None:
    page = burmese_cde
    expect(page.locator("html")).to_have_attribute("lang", "my")
    heading = page.locator("h1")
    expect(heading).to_have_text("သင့်အကောင့်")
    page.evaluate("document.fonts.ready.then(() => true)")
    used = fonts_drawing(page, "h1")
    assert [(f.family, f.web_font) for f in used] == [("Noto Sans Myanmar", True)], used
    loaded = page.evaluate(
        "Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert "MIC Myanmar" in {family.strip('"') for family in loaded}


def test_the_account_page_fits_a_phone_without_a_horizontal_scroll(burmese_cde: Page) -> None:
    page = burmese_cde
    page.evaluate("document.fonts.ready.then(() => true)")
    width = page.evaluate("window.innerWidth")
    assert width == 360
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    overflowing = page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.tagName + ' ' + (e.id || e.className))"""
    )
    assert overflowing == []


def test_the_account_page_loads_under_150_kb_without_fonts(
    browser: Browser, burmese_cde: Page, mic_server: MicServer
) -> None:
    session = burmese_cde.context.storage_state()
    weight = first_load(browser, mic_server.url(ACCOUNT), signed_in=session)
    print(weight.describe())
    assert weight.url == mic_server.url(ACCOUNT)
    assert mic_server.url(ACCOUNT) in weight.resources  # signed in, not sent to sign in
    assert any(url.endswith("/static/console.css") for url in weight.resources)
    assert weight.without_fonts < PAGE_BUDGET, weight.describe()
    assert any(url.endswith("NotoSansMyanmar-Regular.woff2") for url in weight.fonts)
