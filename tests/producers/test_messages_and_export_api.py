"""GET /producers/{id}/messages (what a producer sent and was sent, newest first, paged) and
GET /producers/export (the filtered list as CSV), by role and with bad input."""

from __future__ import annotations

import httpx
import pytest

from app.commands.models import InboundMessage
from app.core.config import Settings
from app.core.db import Database
from tests.conftest import Tokens
from tests.console.producer_data import MM_PHONE, Seeded, seed_conversations


@pytest.fixture
async def seeded_data(database: Database, settings: Settings, tokens: Tokens) -> Seeded:
    return await seed_conversations(database, settings)


async def test_messages_newest_first_with_status_and_reason(
    client: httpx.AsyncClient, tokens: Tokens, seeded_data: Seeded
) -> None:
    answer = await client.get(f"/api/v1/producers/{seeded_data.mm}/messages", headers=tokens.cde_mm)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [m["direction"] for m in items] == ["out"] * 4 + ["in"]
    assert [m["status"] for m in items[:4]] == ["held", "held", "failed", "delivered"]
    assert "unknown subscriber" in items[2]["reason"] and MM_PHONE in items[2]["reason"]
    assert items[4]["text"] == "PRICE MANGO call me +959250999888"
    assert answer.json()["next_cursor"] is None


async def test_messages_are_masked_for_viewers_and_refused_out_of_scope(
    client: httpx.AsyncClient, tokens: Tokens, seeded_data: Seeded
) -> None:
    viewer = await client.get(
        f"/api/v1/producers/{seeded_data.mm}/messages", headers=tokens.viewer_mm
    )
    assert viewer.status_code == 200
    assert MM_PHONE not in viewer.text and "+959250999888" not in viewer.text
    other = await client.get(f"/api/v1/producers/{seeded_data.mm}/messages", headers=tokens.cde_kh)
    assert other.status_code == 403
    missing = await client.get("/api/v1/producers/999999/messages", headers=tokens.admin)
    assert missing.status_code == 404


async def test_messages_page_through_both_sources_without_losing_one(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, seeded_data: Seeded
) -> None:
    async with database.session() as session:
        for n in range(7):
            session.add(
                InboundMessage(
                    urn=f"tel:{MM_PHONE}",
                    channel="sms",
                    text=f"hello {n}",
                    producer_id=seeded_data.mm,
                )
            )
    seen: list[tuple[str, int]] = []
    cursor = None
    for _ in range(10):
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(
            f"/api/v1/producers/{seeded_data.mm}/messages", headers=tokens.admin, params=params
        )
        assert page.status_code == 200, page.text
        seen += [(m["direction"], m["id"]) for m in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 12  # 8 in, 4 out, each once


@pytest.mark.parametrize("cursor", ["x", "o1", "o1.i1.z", "o-1.i2"])
async def test_a_bad_cursor_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, seeded_data: Seeded, cursor: str
) -> None:
    answer = await client.get(
        f"/api/v1/producers/{seeded_data.mm}/messages",
        headers=tokens.admin,
        params={"cursor": cursor},
    )
    assert answer.status_code == 422


async def test_export_follows_the_list_filters_and_the_role(
    client: httpx.AsyncClient, tokens: Tokens, seeded_data: Seeded
) -> None:
    admin = await client.get(
        "/api/v1/producers/export", headers=tokens.admin, params={"commodity": "mango"}
    )
    assert admin.status_code == 200 and admin.headers["content-type"].startswith("text/csv")
    rows = admin.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "Daw Khin Myo" in rows[1] and MM_PHONE in rows[1]
    viewer = await client.get("/api/v1/producers/export", headers=tokens.viewer_mm)
    assert "Daw Khin Myo" in viewer.text and MM_PHONE not in viewer.text
    assert "Sok Dara" not in viewer.text
    refused = await client.get(
        "/api/v1/producers/export", headers=tokens.cde_kh, params={"country": "MM"}
    )
    assert refused.status_code == 403
    unknown = await client.get(
        "/api/v1/producers/export", headers=tokens.admin, params={"market": "atlantis"}
    )
    assert unknown.status_code == 422
