"""Preview before sending, notices sent on demand, deliveries and broadcasts as CDEs see them."""

from __future__ import annotations

from decimal import Decimal

import httpx

from app.core.db import Database
from tests.alerts.conftest import publish, quiet_now, register
from tests.alerts.test_alert_flow import statuses
from tests.conftest import Tokens


async def test_preview_shows_texts_recipients_and_cost_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await register(client, tokens, name="A", locale="my", phone="+959250000041")
    await register(
        client, tokens, name="B", locale="my", phone="+959250000042", quiet_hours=quiet_now()
    )
    await register(client, tokens, name="C", locale="vi", telegram=5001)
    await register(client, tokens, name="D", locale="en", phone="+959250000043", daily_cap=0)
    price_id = await publish(client, tokens, "12600")
    before = await statuses(database)
    preview = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"price_id": price_id}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert await statuses(database) == before  # nothing written
    assert body["already_sent"] is True and body["recipients"] == 4
    assert body["by_channel"] == {"sms": 3, "telegram": 1}
    assert body["by_locale"] == {"my": 2, "vi": 1, "en": 1}
    assert (body["merged"], body["deferred"]) == (1, 1)
    burmese = next(t for t in body["texts"] if t["locale"] == "my")
    assert burmese["encoding"] == "ucs2" and burmese["recipients"] == 2 and burmese["segments"] <= 2
    per_segment = Decimal("0.025")
    assert Decimal(body["cost"]["MM"]) == burmese["segments"] * 2 * per_segment  # D is merged
    assert body["sms_segments"] == burmese["segments"] * 2


async def test_preview_refuses_bad_requests(client: httpx.AsyncClient, tokens: Tokens) -> None:
    both = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"price_id": 1, "lead_id": 2}
    )
    assert both.status_code == 422
    missing = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"price_id": 999}
    )
    assert missing.status_code == 404
    price_id = await publish(client, tokens, "12600")
    other_country = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_kh, json={"price_id": price_id}
    )
    assert other_country.status_code == 403


async def test_a_draft_notice_is_sent_on_demand_once_and_urgent_ignores_quiet_hours(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    quiet = await register(
        client, tokens, name="A", locale="my", phone="+959250000051", quiet_hours=quiet_now()
    )
    await register(client, tokens, name="B", locale="zh", telegram=5002)
    await register(
        client,
        tokens,
        name="K",
        locale="km",
        phone="+85512345678",
        country="KH",
        subscribe={"commodity": "fish", "rule": "every"},
    )
    notice = await client.post(
        "/api/v1/notices",
        headers=tokens.cde_mm,
        json={
            "texts": {
                "en": "Muse gate closed today.",
                "my": "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။",
                "zh": "木姐口岸今日关闭。",
            },
            "countries": ["MM"],
            "urgent": True,
        },
    )
    notice_id = notice.json()["id"]
    assert notice.json()["status"] == "draft" and await statuses(database) == {}
    preview = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"notice_id": notice_id}
    )
    assert preview.json()["recipients"] == 2 and preview.json()["deferred"] == 0
    sent = await client.post(f"/api/v1/notices/{notice_id}/send", headers=tokens.cde_mm)
    assert sent.status_code == 200, sent.text
    assert sent.json()["counts"] == {"queued": 2}
    page = (
        await client.get("/api/v1/deliveries", headers=tokens.cde_mm, params={"producer": quiet})
    ).json()
    assert page["items"][0]["text"] == "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"
    again = await client.post(f"/api/v1/notices/{notice_id}/send", headers=tokens.cde_mm)
    assert again.status_code == 409
    assert (await client.get(f"/api/v1/notices/{notice_id}", headers=tokens.cde_mm)).json()[
        "status"
    ] == "sent"


async def test_deliveries_are_scoped_and_phone_numbers_masked_for_viewers(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(client, tokens, name="A", locale="en", phone="+959250000061")
    await publish(client, tokens, "12600")
    cde = (await client.get("/api/v1/deliveries", headers=tokens.cde_mm)).json()["items"]
    viewer = (await client.get("/api/v1/deliveries", headers=tokens.viewer_mm)).json()["items"]
    other = (await client.get("/api/v1/deliveries", headers=tokens.cde_kh)).json()["items"]
    assert cde[0]["urn"] == "tel:+959250000061"
    assert viewer[0]["urn"].startswith("tel:+95 9") and "•" in viewer[0]["urn"]
    assert other == []
    assert (
        await client.get("/api/v1/deliveries", headers=tokens.cde_kh, params={"country": "MM"})
    ).status_code == 403
    cancelled = await client.post(
        "/api/v1/deliveries/cancel", headers=tokens.cde_mm, json={"country": "MM"}
    )
    assert cancelled.json() == {"cancelled": 1}
    broadcast_id = cde[0]["broadcast_id"]
    got = (await client.get(f"/api/v1/broadcasts/{broadcast_id}", headers=tokens.cde_mm)).json()
    assert got["counts"] == {"cancelled": 1} and got["cost"] == "0.0000"
    assert (
        await client.get(f"/api/v1/broadcasts/{broadcast_id}", headers=tokens.cde_kh)
    ).status_code == 403


async def test_viewers_never_read_buyer_contacts_or_whole_addresses(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    chat = await register(
        client,
        tokens,
        name="Ko Aung",
        locale="en",
        telegram=987654321,
        subscribe={"commodity": "mango", "rule": "every", "leads": True},
    )
    phone = await register(
        client,
        tokens,
        name="Daw Hla",
        locale="my",
        phone="+959250000071",
        subscribe={"commodity": "mango", "rule": "every", "leads": True},
    )
    native = await client.patch(
        f"/api/v1/producers/{phone}", headers=tokens.admin, json={"digits": "native"}
    )
    assert native.status_code == 200, native.text
    contact = "Mr Li +86 138 0013 8000"
    lead = await client.post(
        "/api/v1/leads",
        headers=tokens.cde_mm,
        json={
            "kind": "buy",
            "commodity": "mango",
            "quantity": "20",
            "unit": "tonne",
            "price": "12000",
            "currency": "CNY",
            "buyer_name": "Ruili Fruit Co",
            "contact": contact,
            "country": "MM",
        },
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]
    verified = await client.post(f"/api/v1/leads/{lead_id}/verify", headers=tokens.cde_mm)
    assert verified.status_code == 200, verified.text
    burmese_contact = "Mr Li +၈၆ ၁၃၈ ၀၀၁၃ ၈၀၀၀"

    def texts(items: list[dict[str, str]]) -> str:
        return "\n".join(item["text"] for item in items)

    cde = (await client.get("/api/v1/deliveries", headers=tokens.cde_mm)).json()["items"]
    assert contact in texts(cde) and burmese_contact in texts(cde)
    assert {d["urn"] for d in cde} == {"telegram:987654321", "tel:+959250000071"}

    viewer = (await client.get("/api/v1/deliveries", headers=tokens.viewer_mm)).json()["items"]
    shown = texts(viewer)
    assert "Ruili Fruit Co" in shown and "[contact hidden]" in shown
    for secret in ("138", "၁၃၈", "8000", "၈၀၀၀", "987654321", "250000071"):
        assert secret not in shown
        assert all(secret not in d["urn"] for d in viewer)
    assert {d["urn"] for d in viewer} == {"telegram:••••••321", "tel:+95 9••••••071"}

    preview = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.viewer_mm, json={"lead_id": lead_id}
    )
    assert preview.status_code == 200, preview.text
    previewed = texts(preview.json()["texts"])
    assert "Ruili Fruit Co" in previewed and "[contact hidden]" in previewed
    assert "138" not in previewed and "၁၃၈" not in previewed
    as_cde = await client.post(
        "/api/v1/broadcasts/preview", headers=tokens.cde_mm, json={"lead_id": lead_id}
    )
    assert contact in texts(as_cde.json()["texts"])

    for who, expected in ((tokens.viewer_mm, "••••••321"), (tokens.cde_mm, 987654321)):
        producer = await client.get(f"/api/v1/producers/{chat}", headers=who)
        assert producer.json()["telegram_chat_id"] == expected
