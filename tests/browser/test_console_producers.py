"""Finding a producer by phone and reading their messages in a real browser, at phone width:
the producer registered through the console's form, their message sent through `mic ask`
(the HTTP tests of tests/console cover the deliveries listed beside it)."""

from __future__ import annotations

import secrets

from playwright.sync_api import expect

from tests.browser.conftest import MicServer, OpenPage
from tests.browser.console import create_user, sign_in_first_time


def test_a_cde_finds_a_producer_by_phone_and_reads_their_messages(
    open_page: OpenPage, mic_server: MicServer
) -> None:
    page = open_page("phone")
    sign_in_first_time(page, mic_server, create_user(mic_server, role="cde", country="MM"))
    # A number of this test's own: the server's database is shared by the package's tests.
    national = f"09 250 {secrets.randbelow(900) + 100} {secrets.randbelow(900) + 100}"
    e164 = "+95" + national.replace(" ", "")[1:]

    page.get_by_role("link", name="Producers").click()
    page.get_by_role("link", name="Register a producer").click()
    page.get_by_label("Name", exact=True).fill("Daw Khin Myo")
    page.get_by_label("Kind").select_option("farmer")
    page.get_by_label("Phone").fill(national)
    page.get_by_label("Consent given by").select_option("paper")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The producer is registered.")

    mic_server.mic("ask", "help", "--from", e164)

    page.get_by_role("link", name="Producers", exact=True).first.click()
    page.get_by_label("Name, phone or Telegram chat").fill(national)
    page.get_by_role("button", name="Search").click()
    found = page.locator("ul.records li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(e164)
    found.get_by_role("link", name="Daw Khin Myo").click()

    # `mic ask` answers on the terminal, not through the outbox: the message in is what is kept.
    messages = page.locator("ol.messages li")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text("Received")
    expect(messages.first.locator("p.text")).to_have_text("help")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
