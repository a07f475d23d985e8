"""Inbound SMS through the Kannel webhook: answered in the sender's language through the outbox,
STOP in Khmer and Burmese, rate limits, replays, strangers, and delivery reports."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import col, select

from app.alerts.models import Broadcast, BroadcastKind, ChannelName, Delivery, DeliveryStatus
from app.commands.models import InboundMessage
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.prices.models import PriceObservation, PriceStatus
from app.producers.models import Producer, ProducerStatus
from tests.alerts.conftest import (
    add_reporter,
    alerts_to,
    dispatch_until,
    follower,
    publish,
    register,
)
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel
from tests.sms.conftest import SECRET


@pytest.fixture
async def sms_client(kannel_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(kannel_settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as c:
            yield c


async def mo(
    client: httpx.AsyncClient, sender: str, text: str, *, msg_id: str = "", secret: str = SECRET
) -> httpx.Response:
    query = (
        f"secret={secret}&from={quote(sender)}&to=1234&text={quote(text)}"
        f"&coding=0&charset=UTF-8&id={msg_id}"
    )
    return await client.get(f"/webhooks/sms/kannel/inbound?{query}")


async def replies(database: Database) -> list[tuple[str, str, str]]:
    async with database.session() as s:
        rows = await s.exec(
            select(Delivery, Broadcast)
            .join(Broadcast, col(Broadcast.id) == Delivery.broadcast_id)
            .where(Broadcast.kind == BroadcastKind.REPLY)
            .order_by(col(Delivery.id))
        )
        return [(str(d.to_urn), b.payload["text"], str(d.status)) for d, b in rows.all()]


async def test_a_burmese_question_is_answered_in_burmese_through_the_outbox(
    sms_client: httpx.AsyncClient, client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await publish(client, tokens, "12600")
    answered = await mo(sms_client, "959250000001", "မူဆယ် သရက်သီးဈေး")
    assert answered.status_code == 200 and answered.text == ""
    [(urn, text, status)] = await replies(database)
    assert urn == "tel:+959250000001" and status == "queued"
    assert "12,600" in text and "သရက်" in text
    async with database.session() as s:
        [delivery] = (await s.exec(select(Delivery))).all()
        [inbound] = (await s.exec(select(InboundMessage))).all()
    assert delivery.channel is ChannelName.SMS and 1 <= delivery.segments <= 2
    assert inbound.urn == "tel:+959250000001" and inbound.intent == "price"


@pytest.mark.parametrize(
    ("phone", "country", "locale", "stop"),
    [
        ("+85512345678", "KH", "km", "ឈប់"),
        ("+959250000077", "MM", "my", "ရပ်"),
    ],
)
async def test_stop_in_the_producers_language_ends_all_messages_and_confirms_once(
    sms_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    phone: str,
    country: str,
    locale: str,
    stop: str,
) -> None:
    producer_id = await register(
        client,
        tokens,
        name="P",
        locale=locale,
        phone=phone,
        country=country,
        subscribe={"commodity": "mango", "rule": "every"},
    )
    await publish(client, tokens, "12600")  # an alert waiting in the outbox
    assert (await mo(sms_client, phone.lstrip("+"), stop)).status_code == 200
    assert (await mo(sms_client, phone.lstrip("+"), stop)).status_code == 200  # a second STOP
    async with database.session() as s:
        producer = await s.get(Producer, producer_id)
    assert producer is not None and producer.status is ProducerStatus.STOPPED
    [(urn, confirmation, _)] = await replies(database)  # confirmed once
    assert urn == f"tel:{phone}" and "JOIN" in confirmation
    sms = RecordingChannel("sms", known_urns={f"tel:{phone}"})

    async def settled() -> bool:
        async with database.session() as s:
            rows = (await s.exec(select(Delivery))).all()
        return all(d.status in (DeliveryStatus.SENT, DeliveryStatus.CANCELLED) for d in rows)

    await dispatch_until(database, fast, {ChannelName.SMS: sms}, settled)
    assert [m.text for m in sms.sent] == [confirmation]  # the alert was never sent
    async with database.session() as s:
        alert = (
            await s.exec(
                select(Delivery).where(
                    Delivery.producer_id == producer_id, col(Delivery.to_urn).is_(None)
                )
            )
        ).one()
    assert (alert.status, alert.reason) == (DeliveryStatus.CANCELLED, "producer stopped alerts")


async def test_a_looping_phone_gets_a_few_answers_an_hour_and_a_replay_one(
    sms_client: httpx.AsyncClient, database: Database
) -> None:
    for _ in range(5):
        await mo(sms_client, "959250000005", "HELP")
    assert len(await replies(database)) == 3  # sms_replies_per_hour
    async with database.session() as s:
        assert len((await s.exec(select(InboundMessage))).all()) == 5  # every message recorded
    await mo(sms_client, "959250000006", "HELP", msg_id="abc")
    await mo(sms_client, "959250000006", "HELP", msg_id="abc")  # Kannel retried the callback
    assert len(await replies(database)) == 4


async def test_strangers_forgeries_and_reports(
    sms_client: httpx.AsyncClient, database: Database, fast: Settings
) -> None:
    assert (await mo(sms_client, "14155550100", "HELP")).status_code == 200  # not a CLMV number
    assert (await mo(sms_client, "959250000008", "HELP", secret="guess")).status_code == 403
    assert (await mo(sms_client, "MPT", "HELP")).status_code == 200  # dropped, not retried
    assert await replies(database) == []
    await mo(sms_client, "959250000008", "HELP")
    sms = RecordingChannel("sms", known_urns={"tel:+959250000008"})

    async def sent() -> bool:
        return len(sms.sent) == 1

    await dispatch_until(database, fast, {ChannelName.SMS: sms}, sent)
    delivery_id = sms.sent[0].delivery_id
    report = f"/webhooks/sms/kannel/status?secret={SECRET}&delivery={delivery_id}&status="
    assert (await sms_client.get(report + "8&answer=ACK%2F")).status_code == 200
    assert (await sms_client.get(report + "1&answer=")).status_code == 200
    async with database.session() as s:
        delivery = await s.get(Delivery, delivery_id)
    assert delivery is not None and delivery.status is DeliveryStatus.DELIVERED
    unknown = f"/webhooks/sms/kannel/status?secret={SECRET}&delivery=99999&status=1"
    assert (await sms_client.get(unknown)).status_code == 200
    assert (await sms_client.get("/webhooks/sms/android/inbound")).status_code == 404


async def gateway_client(settings: Settings, **update: object) -> tuple[FastAPI, httpx.AsyncClient]:
    application = create_app(settings.model_copy(update=update))
    transport = httpx.ASGITransport(app=application)
    return application, httpx.AsyncClient(transport=transport, base_url="http://mic.test")


async def test_signed_android_and_twilio_messages_are_answered_and_forgeries_refused(
    settings: Settings, database: Database
) -> None:
    public = "https://mic.example.org"
    android_app, android = await gateway_client(
        settings,
        sms_gateway="android",
        android_url="http://phone.test:8080",
        android_signing_key=SecretStr("android-key"),
        public_url=public,
    )
    body = json.dumps(
        {
            "event": "sms:received",
            "id": "evt-1",
            "payload": {
                "messageId": "m-1",
                "message": "ឈប់",
                "sender": "+85512345670",
                "recipient": "+85510000000",
                "receivedAt": "2026-11-28T09:00:00.000+07:00",
            },
        }
    ).encode()
    stamp = str(int(time.time()))
    good = hmac.new(b"android-key", body + stamp.encode(), hashlib.sha256).hexdigest()
    async with android_app.router.lifespan_context(android_app), android:
        url = "/webhooks/sms/android/inbound"
        forged = {"x-signature": "0" * 64, "x-timestamp": stamp, "content-type": "application/json"}
        assert (await android.post(url, content=body, headers=forged)).status_code == 403
        signed = {**forged, "x-signature": good}
        assert (await android.post(url, content=body, headers=signed)).status_code == 200
    twilio_app, twilio = await gateway_client(
        settings,
        sms_gateway="twilio",
        twilio_account_sid="AC123",
        twilio_auth_token=SecretStr("twilio-token"),
        public_url=public,
    )
    form = {"From": "+959250000031", "To": "+15005550006", "Body": "HELP", "MessageSid": "SM1"}
    signed_string = f"{public}/webhooks/sms/twilio/inbound" + "".join(
        f"{k}{form[k]}" for k in sorted(form)
    )
    signature = base64.b64encode(
        hmac.new(b"twilio-token", signed_string.encode(), hashlib.sha1).digest()
    ).decode()
    async with twilio_app.router.lifespan_context(twilio_app), twilio:
        url = "/webhooks/sms/twilio/inbound"
        forged_form = {**form, "Body": "STOP"}  # the signature no longer matches
        refused = await twilio.post(
            url, data=forged_form, headers={"x-twilio-signature": signature}
        )
        assert refused.status_code == 403
        answered = await twilio.post(url, data=form, headers={"x-twilio-signature": signature})
        assert answered.status_code == 200
    sent = await replies(database)
    assert [urn for urn, _, _ in sent] == ["tel:+85512345670", "tel:+959250000031"]
    assert "STOP" in sent[1][1]  # the help text names STOP


async def test_an_empty_text_and_ten_concatenated_parts_get_one_short_answer(
    sms_client: httpx.AsyncClient, database: Database
) -> None:
    assert (await mo(sms_client, "959250000041", "")).status_code == 200
    ten_parts = "PRICE MANGO MUSE " * 90  # 1 530 characters: ten GSM-7 parts, reassembled
    assert (await mo(sms_client, "959250000042", ten_parts)).status_code == 200
    answers = await replies(database)
    assert [urn for urn, _, _ in answers] == ["tel:+959250000041", "tel:+959250000042"]
    async with database.session() as s:
        segments = [d.segments for d in (await s.exec(select(Delivery))).all()]
    assert all(1 <= n <= 2 for n in segments)


async def test_a_trusted_reporters_sms_price_alerts_the_followers(
    sms_client: httpx.AsyncClient, client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    follows = await follower(database)
    await add_reporter(client, tokens, trusted=True, phone="+959250000555")
    assert (
        await mo(sms_client, "959250000555", "REPORT MANGO MUSE 12600 CNY/TON")
    ).status_code == 200
    async with database.session() as s:
        price = (await s.exec(select(PriceObservation))).one()
    assert (price.status, price.source) == (PriceStatus.PUBLISHED, "sms")
    assert await alerts_to(database, follows) == [("price", price.id)]


async def test_genuine_but_malformed_kannel_callbacks_are_dropped_and_logged(
    sms_client: httpx.AsyncClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    status = f"/webhooks/sms/kannel/status?secret={SECRET}&status=1&delivery="
    for delivery in (str(2**31), str(2**63)):  # beyond PostgreSQL's and SQLite's INTEGER
        assert (await sms_client.get(status + delivery)).status_code == 200
    assert "is not one MIC sent" in caplog.text
    for msg_id in ("abc%00def", "x" * 101):  # a NUL, an id longer than the column
        response = await mo(sms_client, "959250000001", "mango muse", msg_id=msg_id)
        assert response.status_code == 200
    assert "gateway message id with control character U+0000" in caplog.text
    assert "gateway message id of 101 characters" in caplog.text
    async with database.session() as s:
        assert (await s.exec(select(InboundMessage))).all() == []


async def test_inbound_sms_are_answered_a_few_at_a_time_and_every_one_is_answered(
    kannel_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Questions beyond sms_inbound_concurrency wait their turn instead of all sharing the
    event loop at once; none is dropped while it waits."""
    import asyncio

    from bots.sms import webhook

    inside: list[str] = []
    most = 0
    release, two_inside = asyncio.Event(), asyncio.Event()

    async def answering(*_: object, sender: str, **__: object) -> None:
        nonlocal most
        inside.append(sender)
        most = max(most, len(inside))
        if len(inside) == 2:
            two_inside.set()
        await release.wait()
        inside.remove(sender)

    monkeypatch.setattr(webhook, "receive_sms", answering)
    settings = kannel_settings.model_copy(update={"sms_inbound_concurrency": 2})
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as c:
            asked = [
                asyncio.create_task(mo(c, f"95925000010{i}", "mango muse", msg_id=f"q{i}"))
                for i in range(5)
            ]
            await two_inside.wait()
            for _ in range(50):  # every request has reached the webhook by now, or never will
                await asyncio.sleep(0)
            assert len(inside) == 2
            release.set()
            answered = await asyncio.gather(*asked)
    assert [r.status_code for r in answered] == [200] * 5
    assert most == 2 and inside == []
