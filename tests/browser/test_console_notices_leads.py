"""Notices and leads in a real browser: a CDE writes a Burmese notice and watches its SMS
segments and cost grow with the text (the page's script asks the server as they type), and
verifies a buyer lead, then sees the producers it reaches."""

from __future__ import annotations

import re
import secrets

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import MicServer, OpenPage
from tests.browser.console import add_follower, create_user, sign_in_first_time

BURMESE = "မူဆယ် ၁၀၅ မိုင် ဂိတ် ယနေ့ ပိတ်ထားသည်။ "


def signed_in_cde(open_page: OpenPage, mic_server: MicServer) -> Page:
    page = open_page("phone")
    sign_in_first_time(page, mic_server, create_user(mic_server, role="cde", country="MM"))
    return page


def test_a_burmese_notice_shows_its_segments_and_cost_grow_as_it_is_typed(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client
) -> None:
    add_follower(api, leads=False)
    page = signed_in_cde(open_page, mic_server)
    page.goto(mic_server.url("/console/notices"))
    page.get_by_role("link", name="Write a notice").click()
    expect(page.locator("h1")).to_have_text("Write a notice")
    page.locator("#text_my").fill(BURMESE)
    segments = page.locator("[data-segments]")
    cost = page.locator("[data-cost]")
    # The script's preview, no button pressed: one segment for each reader (the server is
    # shared with the other browser tests, so the audience may count others' followers too).
    expect(segments).to_have_text(re.compile(r"^[1-9][0-9]*$"))
    first = int(segments.inner_text())
    one_segment_cost = cost.inner_text()
    expect(page.locator(".sms-text[lang=my]").first).to_contain_text("ဂိတ်")
    page.locator("#text_my").fill(BURMESE * 4)
    expect(segments).not_to_have_text(str(first))
    grown = int(segments.inner_text())
    assert grown > first
    assert cost.inner_text() != one_segment_cost
    # Every reader of this audience reads Burmese: no language is missing.
    expect(page.locator("p.warning")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Saved as a draft, it keeps its preview.
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator("p.notice")).to_have_text("The draft is saved.")
    expect(page.locator("[data-segments]")).to_have_text(str(grown))


def test_a_cde_verifies_a_lead_and_sees_whom_it_reaches(
    open_page: OpenPage, mic_server: MicServer, api: httpx.Client
) -> None:
    add_follower(api, leads=True)
    created = api.post(
        "/leads",
        json={
            "kind": "buy",
            "commodity": "mango",
            "quantity": "20",
            "unit": "tonne",
            "price": "11800",
            "currency": "CNY",
            "buyer_name": f"Ruili Fruit {secrets.token_hex(3)}",
            "contact": "+86 692 000 0000",
            "country": "MM",
        },
    )
    assert created.status_code == 201, created.text
    lead = created.json()
    page = signed_in_cde(open_page, mic_server)
    page.goto(mic_server.url("/console/leads"))
    page.get_by_role("link", name=f"#{lead['id']} ").click()
    expect(page.locator("[data-status]")).to_have_text("Waiting for verification")
    expect(page.locator("[data-contact]")).to_have_text("+86 692 000 0000")
    page.get_by_role("button", name="Verify: the buyer is genuine").click()
    expect(page.locator("p.notice")).to_contain_text("The lead is verified")
    expect(page.locator("[data-status]")).to_have_text("Verified")
    reach = int(page.locator("[data-reach]").inner_text())
    assert reach >= 1
    expect(page.locator("[data-channel=sms]")).to_be_visible()
    assert api.get(f"/leads/{lead['id']}").json()["status"] == "verified"
