"""GET /console/: the Today page of a MM CDE, a KH CDE and an admin, from data in both
countries."""

from __future__ import annotations

import httpx
from sqlmodel import select

from app.alerts.models import Delivery, DeliveryStatus
from app.core.db import Database
from tests.alerts.conftest import register
from tests.conftest import Tokens
from tests.console_pages.conftest import Browser
from tests.today.test_today import post, price_body


async def test_today_shows_what_waits_in_the_readers_countries_with_a_chart(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, browser: Browser
) -> None:
    await register(client, tokens, name="A", locale="my", phone="+959250000101")
    await post(client, tokens.admin, "/api/v1/prices", price_body("MM", "12000", publish=True))
    for value in ("12100", "12200", "12300"):
        await post(client, tokens.cde_mm, "/api/v1/prices", price_body("MM", value))
    await post(client, tokens.cde_kh, "/api/v1/prices", price_body("KH", "151000"))

    mm = await (await browser("thida")).get("/console/")
    assert mm.status_code == 200, mm.text
    assert 'id="pending-prices"' in mm.text
    assert "/console/prices?status=pending&amp;reports=no" in mm.text
    waiting = mm.text.split('id="pending-prices"')[1].split("</li>")[0]
    assert '<span class="count">3</span>' in waiting
    assert 'id="budget-MM"' in mm.text and 'id="budget-KH"' not in mm.text
    assert "<svg" in mm.text and 'role="img"' in mm.text  # the deliveries chart
    assert 'id="deliveries-table"' in mm.text

    kh = await (await browser("sokha")).get("/console/")
    waiting = kh.text.split('id="pending-prices"')[1].split("</li>")[0]
    assert '<span class="count">1</span>' in waiting
    assert 'id="budget-KH"' in kh.text and 'id="budget-MM"' not in kh.text
    assert "<svg" not in kh.text and "No messages in the last 24 hours." in kh.text

    admin = await (await browser("ana")).get("/console/")
    waiting = admin.text.split('id="pending-prices"')[1].split("</li>")[0]
    assert '<span class="count">4</span>' in waiting


async def test_today_in_burmese_and_without_a_session(
    client: httpx.AsyncClient, browser: Browser
) -> None:
    unsigned = await client.get("/console/")
    assert unsigned.status_code == 303 and unsigned.headers["location"].startswith(
        "/console/sign-in"
    )
    mm = await browser("thida", "my")
    page = await mm.get("/console/")
    assert page.status_code == 200 and '<html lang="my">' in page.text
    assert "Today" not in page.text.split("<main")[1]  # every word of the page is translated


async def test_today_counts_held_sms(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, browser: Browser
) -> None:
    await register(client, tokens, name="A", locale="my", phone="+959250000102")
    await post(client, tokens.admin, "/api/v1/prices", price_body("MM", "12000", publish=True))
    async with database.session() as s:
        for d in (await s.exec(select(Delivery))).all():
            d.status = DeliveryStatus.HELD
            s.add(d)
    page = await (await browser("thida")).get("/console/")
    row = page.text.split('id="budget-MM"')[1].split("</tr>")[0]
    assert 'class="num warn">1</td>' in row
