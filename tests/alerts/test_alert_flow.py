"""From a price published through the API to messages on the channels: languages, quiet
hours, the daily cap and its digest, idempotence, and the broadcast's counts."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlmodel import col, select

from app.alerts import digests
from app.alerts.models import ChannelName, Delivery, DeliveryStatus
from app.core.config import Settings
from app.core.db import Database
from tests.alerts.conftest import YANGON, dispatch_until, publish, quiet_now, register
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel


async def statuses(database: Database) -> dict[int, list[str]]:
    async with database.session() as s:
        rows = (await s.exec(select(Delivery).order_by(col(Delivery.id)))).all()
    out: dict[int, list[str]] = {}
    for d in rows:
        out.setdefault(d.producer_id, []).append(str(d.status))
    return out


async def test_a_published_price_reaches_three_producers_in_their_languages(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    telegram: RecordingChannel,
    sms: RecordingChannel,
) -> None:
    aye = await register(client, tokens, name="Daw Aye", locale="my", phone="+959250000001")
    li = await register(
        client, tokens, name="Li Wei", locale="zh", phone="+959250000002", quiet_hours=quiet_now()
    )
    tun = await register(client, tokens, name="U Tun", locale="en", telegram=777001, daily_cap=1)
    sms.known_urns |= {"tel:+959250000001", "tel:+959250000002"}
    telegram.known_urns.add("telegram:777001")
    channels = {ChannelName.TELEGRAM: telegram, ChannelName.SMS: sms}

    first = await publish(client, tokens, "12600")
    assert await statuses(database) == {aye: ["queued"], li: ["queued"], tun: ["queued"]}

    async def both_sent() -> bool:
        return len(sms.sent) == 1 and len(telegram.sent) == 1

    await dispatch_until(database, fast, channels, both_sent)
    [burmese] = sms.texts_to("tel:+959250000001")
    assert "သရက်" in burmese and "မူဆယ်" in burmese  # mango, Muse
    [english] = telegram.texts_to("telegram:777001")
    assert english.startswith("Mango (Sein Ta Lone) at Muse")
    # Li Wei is in quiet hours: the SMS waits for their end, in Chinese.
    async with database.session() as s:
        waiting = (await s.exec(select(Delivery).where(Delivery.producer_id == li))).one()
    assert waiting.status is DeliveryStatus.QUEUED
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > dt.datetime.now(dt.UTC)
    assert waiting.segments >= 1 and waiting.cost == waiting.segments * fast.sms_segment_price["MM"]
    page = (
        await client.get("/api/v1/deliveries", headers=tokens.cde_mm, params={"producer": li})
    ).json()
    assert "木姐" in page["items"][0]["text"] and page["items"][0]["status"] == "queued"

    # Publishing the same price again creates nothing: one broadcast per price.
    again = await client.post(
        f"/api/v1/prices/{first}/publish", headers=tokens.cde_mm, json={"confirm_outlier": True}
    )
    assert again.status_code in (200, 409)
    assert await statuses(database) == {aye: ["sent"], li: ["queued"], tun: ["sent"]}

    # A second price: U Tun's cap of 1 is used up, so it is merged into his digest.
    await publish(client, tokens, "13100")
    assert (await statuses(database))[tun] == ["sent", "merged"]

    async def aye_has_two() -> bool:
        return len(sms.sent) == 2

    await dispatch_until(database, fast, channels, aye_has_two)
    assert "+4.0%" in sms.texts_to("tel:+959250000001")[1]  # 12 600 -> 13 100

    # It waits for his digest time (18:00 in Yangon by default) ...
    async with database.session() as s:
        merged = (
            await s.exec(
                select(Delivery).where(
                    Delivery.producer_id == tun, Delivery.status == DeliveryStatus.MERGED
                )
            )
        ).one()
        due = merged.next_attempt_at
        assert due is not None and due.astimezone(YANGON).strftime("%H:%M") == "18:00"
        assert await digests.build_due_digests(s, fast) == 0
        # ... and when that time has come, goes out in one digest message.
        merged.next_attempt_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        s.add(merged)
    async with database.session() as s:
        assert await digests.build_due_digests(s, fast) == 1

    async def digest_sent() -> bool:
        return len(telegram.sent) == 2

    await dispatch_until(database, fast, channels, digest_sent)
    digest = telegram.sent[1].text
    assert digest.startswith("Prices on") and "CN¥13,100/tonne" in digest

    broadcast = (
        await client.get("/api/v1/broadcasts", headers=tokens.cde_mm, params={"price": first})
    ).json()["items"][0]
    assert broadcast["counts"] == {"sent": 2, "queued": 1}
