"""The deliveries page: counts per status and channel, failures with their reasons (masked for
viewers), SMS cost per day and country, and held SMS released or cancelled by admins only."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select

from app.alerts.models import Delivery, DeliveryStatus
from app.core.config import Settings
from app.core.db import Database
from tests.conftest import Tokens
from tests.console.conftest import Users, csrf_of, sign_in
from tests.console.producer_data import Seeded, seed_conversations


@pytest.fixture
async def seeded_data(database: Database, settings: Settings, users: Users) -> Seeded:
    return await seed_conversations(database, settings)


async def _statuses(database: Database, ids: list[int]) -> list[DeliveryStatus]:
    async with database.read_session() as session:
        rows = (await session.exec(select(Delivery).where(col(Delivery.id).in_(ids)))).all()
    return sorted(d.status for d in rows)


async def test_an_admin_reads_counts_failures_costs_and_held(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    page = await client.get("/console/deliveries")
    assert page.status_code == 200
    text = page.text
    assert "Held by the SMS budget" in text and "Delivered" in text
    assert "gateway refused +959250123789: unknown subscriber" in text
    assert "$1.25" in text  # the day's SMS spend in MM
    assert f'name="id" value="{seeded_data.held[0]}"' in text
    assert "Send the ticked SMS anyway" in text


async def test_a_viewer_sees_reasons_masked_and_cannot_release(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.viewer_mm)
    page = await client.get("/console/deliveries")
    assert page.status_code == 200
    assert "+959250123789" not in page.text and "unknown subscriber" in page.text
    assert "Only an administrator" in page.text and 'name="id"' not in page.text
    refused = await client.post(
        "/console/deliveries/held",
        data={"action": "release", "id": str(seeded_data.held[0]), "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 403
    assert await _statuses(database, seeded_data.held) == [DeliveryStatus.HELD] * 2


async def test_a_cde_cannot_release_either(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/deliveries")
    refused = await client.post(
        "/console/deliveries/held",
        data={"action": "release", "id": str(seeded_data.held[0]), "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 403
    assert await _statuses(database, seeded_data.held) == [DeliveryStatus.HELD] * 2


async def test_a_cde_of_another_country_sees_none_of_it(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_kh)
    page = await client.get("/console/deliveries")
    assert page.status_code == 200 and "unknown subscriber" not in page.text
    assert (await client.get("/console/deliveries", params={"country": "MM"})).status_code == 403


async def test_an_admin_releases_one_and_cancels_the_other(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    first, second = seeded_data.held
    page = await client.get("/console/deliveries")
    released = await client.post(
        "/console/deliveries/held",
        data={"action": "release", "id": str(first), "csrf_token": csrf_of(page)},
    )
    assert (released.status_code, released.headers["location"]) == (
        303,
        "/console/deliveries?done=released",
    )
    page = await client.get(released.headers["location"])
    assert "released and will be sent" in page.text
    cancelled = await client.post(
        "/console/deliveries/held",
        data={"action": "cancel", "id": str(second), "csrf_token": csrf_of(page)},
    )
    assert cancelled.status_code == 303
    assert await _statuses(database, [first]) == [DeliveryStatus.QUEUED]
    assert await _statuses(database, [second]) == [DeliveryStatus.CANCELLED]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "release"},  # nothing ticked
        {"action": "explode", "id": "1"},
        {"action": "release", "id": "not a number"},
    ],
)
async def test_bad_held_forms_change_nothing(
    client: httpx.AsyncClient,
    users: Users,
    database: Database,
    seeded_data: Seeded,
    data: dict[str, str],
) -> None:
    await sign_in(client, users.admin)
    page = await client.get("/console/deliveries")
    refused = await client.post(
        "/console/deliveries/held", data={**data, "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 422 and "<html" in refused.text
    assert await _statuses(database, seeded_data.held) == [DeliveryStatus.HELD] * 2


async def test_a_stale_token_releases_nothing(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    refused = await client.post(
        "/console/deliveries/held",
        data={"action": "release", "id": str(seeded_data.held[0]), "csrf_token": "stale"},
    )
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert await _statuses(database, seeded_data.held) == [DeliveryStatus.HELD] * 2


async def test_bad_days_get_the_error_page(client: httpx.AsyncClient, users: Users) -> None:
    await sign_in(client, users.admin)
    for days in ("0", "91", "many"):
        page = await client.get("/console/deliveries", params={"days": days})
        assert page.status_code == 422 and "<html" in page.text


async def test_the_api_summary_is_the_same_numbers(
    client: httpx.AsyncClient, seeded_data: Seeded, tokens: Tokens
) -> None:
    summary = await client.get("/api/v1/deliveries/summary", headers=tokens.viewer_mm)
    assert summary.status_code == 200
    body = summary.json()
    counts = {(c["status"], c["channel"]): c["count"] for c in body["counts"]}
    assert counts[("held", "sms")] == 2 and counts[("failed", "sms")] == 1
    [failure] = body["failures"]
    assert "unknown subscriber" in failure["reason"] and "+959250123789" not in failure["reason"]
    assert body["costs"][0]["country"] == "MM"
