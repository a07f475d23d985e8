"""The alert preview of a pending price or a draft notice against what publishing or sending
then really queues, and who may read it."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
from sqlmodel import col, select

from app.alerts.models import Broadcast, BroadcastText, Delivery, DeliveryStatus
from app.core import clock
from app.core.db import Database
from tests.alerts.conftest import publish, quiet_now, register
from tests.conftest import Tokens

MANGO_AT_MUSE = {"commodity": "mango", "market": "muse"}


async def pending_price(client: httpx.AsyncClient, tokens: Tokens, price: str) -> int:
    created = await client.post(
        "/api/v1/prices",
        headers=tokens.cde_mm,
        json={
            "commodity": "mango",
            "variety": "sein-ta-lone",
            "market": "muse",
            "price": price,
            "currency": "CNY",
            "unit": "tonne",
            "price_type": "border",
            "observed_on": clock.today("Asia/Yangon").isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    price_id: int = created.json()["id"]
    return price_id


async def queued(database: Database, **ref: int) -> dict[str, Any]:
    """What a broadcast really queued, in the preview's terms."""
    async with database.read_session() as s:
        broadcast = (await s.exec(select(Broadcast).filter_by(**ref))).one()
        rows = (
            await s.exec(
                select(Delivery, BroadcastText)
                .join(BroadcastText, col(BroadcastText.id) == Delivery.text_id)
                .where(Delivery.broadcast_id == broadcast.id)
            )
        ).all()
    now = clock.utcnow()
    texts: Counter[tuple[Any, ...]] = Counter()
    cost: Counter[str] = Counter()
    for d, t in rows:
        texts[(t.locale, t.script, t.digits, t.plain_sms, t.channel, t.text, t.segments)] += 1
        cost[d.country_code] += Decimal(d.cost)
    return {
        "recipients": len(rows),
        "by_channel": dict(Counter(d.channel.value for d, _ in rows)),
        "merged": sum(d.status is DeliveryStatus.MERGED for d, _ in rows),
        "deferred": sum(
            d.status is DeliveryStatus.QUEUED
            and d.next_attempt_at is not None
            and d.next_attempt_at > now
            for d, _ in rows
        ),
        "sms_segments": sum(d.segments for d, _ in rows),
        "cost": {k: v for k, v in cost.items() if v},
        "texts": texts,
    }


def previewed(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "recipients": body["recipients"],
        "by_channel": body["by_channel"],
        "merged": body["merged"],
        "deferred": body["deferred"],
        "sms_segments": body["sms_segments"],
        "cost": {k: Decimal(v) for k, v in body["cost"].items() if Decimal(v)},
        "texts": Counter(
            {
                (
                    t["locale"],
                    t["script"],
                    t["digits"],
                    t["plain_sms"],
                    t["channel"],
                    t["text"],
                    t["segments"],
                ): t["recipients"]
                for t in body["texts"]
            }
        ),
    }


async def test_the_preview_of_a_pending_price_is_what_publishing_it_queues(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await publish(client, tokens, "12000")  # the previous price: 12600 is a 5% move
    await register(client, tokens, name="A", locale="my", phone="+959250000061")
    await register(
        client, tokens, name="B", locale="my", phone="+959250000062", quiet_hours=quiet_now()
    )
    await register(client, tokens, name="C", locale="vi", telegram=6001)
    await register(client, tokens, name="D", locale="en", phone="+959250000063", daily_cap=0)
    await register(
        client,
        tokens,
        name="E",
        locale="my",
        phone="+959250000064",
        subscribe={**MANGO_AT_MUSE, "rule": "digest", "digest_time": "18:30"},
    )
    await register(
        client,
        tokens,
        name="F",
        locale="my",
        phone="+959250000065",
        subscribe={**MANGO_AT_MUSE, "rule": "change_pct", "threshold": "3"},
    )
    # A 10% threshold does not fire on a 5% move: F gets it, G does not.
    await register(
        client,
        tokens,
        name="G",
        locale="my",
        phone="+959250000066",
        subscribe={**MANGO_AT_MUSE, "rule": "change_pct", "threshold": "10"},
    )
    latin = await register(
        client,
        tokens,
        name="K",
        locale="km",
        phone="+85512345661",
        country="KH",
        subscribe={"commodity": "mango", "rule": "every"},
    )
    changed = await client.patch(
        f"/api/v1/producers/{latin}", headers=tokens.admin, json={"script": "latin"}
    )
    assert changed.status_code == 200, changed.text
    price_id = await pending_price(client, tokens, "12600")

    shown = await client.get(f"/api/v1/prices/{price_id}/alert-preview", headers=tokens.admin)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["already_sent"] is False and body["recipients"] == 7
    assert body["by_channel"] == {"sms": 6, "telegram": 1}
    assert (body["merged"], body["deferred"]) == (2, 1)  # D past its cap and E's digest; B
    assert set(body["cost"]) == {"MM", "KH"}
    for text in body["texts"]:
        if text["channel"] == "sms":
            assert text["segments"] >= 1 and text["encoding"] in {"gsm7", "ucs2"}
    assert sum(Decimal(t["cost"]) for t in body["texts"]) == sum(
        Decimal(v) for v in body["cost"].values()
    )

    published = await client.post(f"/api/v1/prices/{price_id}/publish", headers=tokens.cde_mm)
    assert published.status_code == 200, published.text
    assert previewed(body) == await queued(database, price_id=price_id)

    again = await client.get(f"/api/v1/prices/{price_id}/alert-preview", headers=tokens.cde_mm)
    assert again.status_code == 200 and again.json()["already_sent"] is True


async def test_the_preview_of_a_draft_notice_is_what_sending_it_queues(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await register(client, tokens, name="A", locale="my", phone="+959250000071")
    await register(client, tokens, name="B", locale="zh", telegram=7001)
    await register(client, tokens, name="C", locale="vi", phone="+959250000072")
    created = await client.post(
        "/api/v1/notices",
        headers=tokens.cde_mm,
        json={
            "texts": {"en": "Muse gate closed today.", "my": "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"},
            "countries": ["MM"],
        },
    )
    assert created.status_code == 201, created.text
    notice_id = created.json()["id"]
    shown = await client.get(f"/api/v1/notices/{notice_id}/alert-preview", headers=tokens.cde_mm)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["kind"] == "notice" and body["recipients"] == 3
    by_locale = {(t["locale"], t["channel"]): t for t in body["texts"]}
    assert by_locale[("my", "sms")]["text"] == "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"
    assert by_locale[("my", "sms")]["encoding"] == "ucs2"
    # No Vietnamese text yet: the Vietnamese producer reads the English one, in GSM-7.
    assert by_locale[("vi", "sms")]["text"] == "Muse gate closed today."
    assert by_locale[("vi", "sms")]["encoding"] == "gsm7"
    sent = await client.post(f"/api/v1/notices/{notice_id}/send", headers=tokens.cde_mm)
    assert sent.status_code == 200, sent.text
    assert previewed(body) == await queued(database, notice_id=notice_id)


async def test_who_may_read_a_preview_and_what_is_refused(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    price_id = await pending_price(client, tokens, "12600")
    url = f"/api/v1/prices/{price_id}/alert-preview"
    assert (await client.get(url, headers=tokens.viewer_mm)).status_code == 200
    assert (await client.get(url)).status_code == 401
    outside = await client.get(url, headers=tokens.cde_kh)
    assert outside.status_code == 403 and outside.json()["error"] == "forbidden"
    missing = await client.get("/api/v1/prices/999999/alert-preview", headers=tokens.cde_mm)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    bad_id = await client.get("/api/v1/prices/abc/alert-preview", headers=tokens.cde_mm)
    assert bad_id.status_code == 422
    rejected = await client.post(
        f"/api/v1/prices/{price_id}/reject", headers=tokens.cde_mm, json={"reason": "typo"}
    )
    assert rejected.status_code == 200, rejected.text
    refused = await client.get(url, headers=tokens.cde_mm)
    assert refused.status_code == 409 and "rejected" in refused.json()["detail"]


async def test_a_cancelled_notice_has_no_preview(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await client.post(
        "/api/v1/notices",
        headers=tokens.cde_mm,
        json={"texts": {"en": "Market closed."}, "countries": ["MM"]},
    )
    notice_id = created.json()["id"]
    url = f"/api/v1/notices/{notice_id}/alert-preview"
    assert (await client.get(url, headers=tokens.cde_kh)).status_code == 403
    cancelled = await client.post(f"/api/v1/notices/{notice_id}/cancel", headers=tokens.cde_mm)
    assert cancelled.status_code == 200, cancelled.text
    refused = await client.get(url, headers=tokens.cde_mm)
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]
