"""A Myanmar CDE on a phone maps a name a source could not place and sees the next run import
the row it held back: a real `mic run`, a source reading the fake upstream on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.core import clock
from tests.browser.conftest import MicServer, OpenPage
from tests.browser.console import create_user, sign_in_first_time
from tests.fakes.upstream import FakeUpstream
from tests.sources.conftest import MUSE_BOARD_MAPPING

# A run of two rows takes well under a second; the page refreshes itself every 3 s.
RUN_TIMEOUT_MS = 30_000


@pytest.fixture
def threaded_upstream() -> Iterator[FakeUpstream]:
    """The fake upstream on an event loop of its own thread: the browser tests' Playwright
    holds the main thread, and the `mic run` process fetches from it meanwhile."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-upstream", daemon=True)
    thread.start()
    fake = FakeUpstream()
    asyncio.run_coroutine_threadsafe(fake.__aenter__(), loop).result(timeout=10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
    fake.check()


def _add_source(server: MicServer, upstream: FakeUpstream) -> int:
    day = (clock.today("Asia/Yangon") - dt.timedelta(days=2)).isoformat()
    upstream.route(
        "/muse.csv",
        "Date,Market,Product,Variety,Price (CNY/tonne)\n"
        f"{day},Muse,Mango,Sein Ta Lone,12600\n"
        f"{day},Muse,Mango,Mya Kyauk,9800\n",
    )
    issued = server.mic("token", "create", "--name", "source-setup", "--role", "admin")
    token = issued.stdout.strip().splitlines()[-1]
    created = httpx.post(
        server.url("/api/v1/sources"),
        headers={"Authorization": f"Bearer {token}"},
        json={
            "slug": "muse-board-browser",
            "name": "Muse board (browser)",
            "kind": "csv_url",
            "country": "MM",
            "url": f"{upstream.url}/muse.csv",
            "schedule": "30 6 * * *",
            "mapping": MUSE_BOARD_MAPPING,
            "trusted": True,
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _run_now(page: Page) -> None:
    """Press Run now and wait, on the run's self-refreshing page, until the run has ended."""
    page.get_by_role("button", name="Run now").click()
    expect(page.locator("p.status")).to_have_text("Succeeded", timeout=RUN_TIMEOUT_MS)


def _count(page: Page, label: str) -> str:
    return page.locator(f"dl.counts dt:text-is('{label}') + dd").first.inner_text()


def test_a_mapped_name_is_picked_up_by_the_next_run(
    mic_server: MicServer, open_page: OpenPage, threaded_upstream: FakeUpstream
) -> None:
    source_id = _add_source(mic_server, threaded_upstream)
    cde = create_user(mic_server, role="cde", country="MM")
    page = open_page("phone")
    sign_in_first_time(page, mic_server, cde)

    page.get_by_role("link", name="Sources", exact=True).click()
    page.get_by_role("link", name="Muse board (browser)").click()
    assert page.url == mic_server.url(f"/console/sources/{source_id}")
    _run_now(page)
    assert (_count(page, "New"), _count(page, "Waiting for a name")) == ("1", "1")

    page.get_by_role("link", name="Back to the source").click()
    waiting = page.locator("li", has_text="Mango (Mya Kyauk)")
    expect(waiting).to_contain_text("1 row waits for it.")
    waiting.get_by_label("The catalogue entry it is").fill("mango")
    waiting.get_by_role("button", name="Map to this entry").click()
    expect(page.get_by_role("status")).to_contain_text("The name is mapped.")
    expect(page.get_by_text("Every name this source used is mapped.")).to_be_visible()
    # The page fits the phone: nothing wider than its 360 pixels.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    _run_now(page)
    assert _count(page, "New") == "1"  # the row held back
    assert _count(page, "Unchanged") == "1"  # the row the first run imported
    assert _count(page, "Waiting for a name") == "0"
    assert threaded_upstream.hits("/muse.csv") == 2
    assert page.url.startswith(mic_server.url("/console/runs/"))
