"""The dispatcher against a recording channel: retries, 429 pauses, permanent failures with the
SMS fallback, expired leases, stopped producers, budgets, receipts, and two dispatchers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from app.alerts import results
from app.alerts.claims import claim
from app.alerts.models import ChannelName, ChannelPace, Delivery, DeliveryStatus
from app.alerts.receipts import record_receipt
from app.alerts.results import Outcome, record
from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult
from app.core.config import Settings
from app.core.db import Database, run_core
from app.notices.models import Notice
from app.producers.models import Address, Producer, ProducerStatus
from jobs import digests
from jobs.dispatcher import Dispatcher
from tests.alerts.conftest import dispatch_until, publish, register
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel
from tests.ops.scrapes import scrape, value


async def deliveries(database: Database) -> list[Delivery]:
    async with database.session() as s:
        return list((await s.exec(select(Delivery).order_by(col(Delivery.id)))).all())


def done(database: Database, count: int, *statuses: DeliveryStatus):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        rows = await deliveries(database)
        return sum(1 for d in rows if d.status in statuses) >= count

    return check


async def test_transient_errors_retry_with_backoff_then_give_up_with_the_reason(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    await register(client, tokens, name="A", locale="en", phone="+959250000011")
    await register(client, tokens, name="B", locale="en", phone="+959250000012")
    sms.known_urns |= {"tel:+959250000011", "tel:+959250000012"}
    gateway_down = ChannelError(ErrorKind.TRANSIENT, "HTTP 500 from gateway: <html>oops</html>")
    sms.fail("tel:+959250000011", gateway_down)  # once: the retry succeeds
    sms.fail("tel:+959250000012", gateway_down, gateway_down, gateway_down)  # every attempt
    await publish(client, tokens, "12600")
    await dispatch_until(
        database,
        fast,
        {ChannelName.SMS: sms},
        done(database, 2, DeliveryStatus.SENT, DeliveryStatus.FAILED),
    )
    first, second = await deliveries(database)
    assert (first.status, first.attempts) == (DeliveryStatus.SENT, 2)
    assert (second.status, second.attempts) == (DeliveryStatus.FAILED, 3)
    assert second.reason == "gave up after 3 attempts: HTTP 500 from gateway: <html>oops</html>"
    assert len(sms.attempts) == 5


async def test_a_429_pauses_the_whole_channel_and_costs_no_attempt(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    telegram: RecordingChannel,
) -> None:
    await register(client, tokens, name="A", locale="en", telegram=9001)
    telegram.known_urns.add("telegram:9001")
    telegram.fail(
        "*", ChannelError(ErrorKind.RATE_LIMITED, "429 Too Many Requests", retry_after=0.3)
    )
    await publish(client, tokens, "12600")
    started = dt.datetime.now(dt.UTC)
    dispatcher = await dispatch_until(
        database, fast, {ChannelName.TELEGRAM: telegram}, done(database, 1, DeliveryStatus.SENT)
    )
    [delivery] = await deliveries(database)
    assert delivery.attempts == 1 and len(telegram.attempts) == 2
    assert delivery.sent_at is not None and (delivery.sent_at - started).total_seconds() >= 0.3
    async with database.session() as s:
        pace = await s.get(ChannelPace, "telegram")
    assert pace is not None
    # The process's metrics count the 429, the send after it, and the pause it imposed.
    counted = await scrape(dispatcher.metrics)
    assert value(counted, "mic_dispatcher_sends_total", result="rate_limited") == 1
    assert value(counted, "mic_dispatcher_sends_total", result="sent") == 1
    assert value(counted, "mic_dispatcher_pauses_total", channel="telegram") == 1
    paused = value(counted, "mic_dispatcher_paused_seconds_total", channel="telegram")
    assert paused == pytest.approx(0.3)


async def test_a_blocked_bot_fails_at_once_deactivates_the_chat_and_falls_back_to_sms(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    telegram: RecordingChannel,
    sms: RecordingChannel,
) -> None:
    await register(client, tokens, name="A", locale="my", telegram=9002, phone="+959250000013")
    telegram.known_urns.add("telegram:9002")
    sms.known_urns.add("tel:+959250000013")
    telegram.fail(
        "telegram:9002",
        ChannelError(
            ErrorKind.PERMANENT, "Forbidden: bot was blocked by the user", address_invalid=True
        ),
    )
    await publish(client, tokens, "12600")
    channels = {ChannelName.TELEGRAM: telegram, ChannelName.SMS: sms}
    await dispatch_until(database, fast, channels, done(database, 1, DeliveryStatus.SENT))
    tg, fallback = await deliveries(database)
    assert (tg.channel, tg.status, tg.attempts) == (ChannelName.TELEGRAM, DeliveryStatus.FAILED, 1)
    assert tg.reason == "Forbidden: bot was blocked by the user"
    assert (fallback.channel, fallback.status, fallback.fallback_of) == (
        ChannelName.SMS,
        DeliveryStatus.SENT,
        tg.id,
    )
    assert "သရက်" in sms.sent[0].text and fallback.segments > 0 and fallback.cost > 0
    async with database.session() as s:
        chat = (await s.exec(select(Address).where(Address.urn == "telegram:9002"))).one()
    assert chat.active is False


async def test_an_expired_lease_returns_the_delivery_to_another_dispatcher(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    await register(client, tokens, name="A", locale="en", phone="+959250000014")
    sms.known_urns.add("tel:+959250000014")
    await publish(client, tokens, "12600")
    async with database.session() as s:  # a dispatcher claims it, then dies
        claimed = await claim(s, channel=ChannelName.SMS, worker="dead", limit=10, settings=fast)
    assert len(claimed.deliveries) == 1
    async with database.session() as s:  # nobody else may take it while the lease runs
        assert (
            await claim(s, channel=ChannelName.SMS, worker="b", limit=10, settings=fast)
        ).deliveries == []
        await run_core(
            s,
            sa.update(Delivery.__table__).values(
                next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            ),  # type: ignore[attr-defined]
        )
        await run_core(s, sa.update(Address.__table__).values(next_send_at=None))  # type: ignore[attr-defined]
    await dispatch_until(
        database, fast, {ChannelName.SMS: sms}, done(database, 1, DeliveryStatus.SENT)
    )
    [delivery] = await deliveries(database)
    assert delivery.attempts == 2 and delivery.claimed_by != "dead" and len(sms.sent) == 1


async def test_a_producer_who_stopped_after_the_fan_out_gets_nothing(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    producer_id = await register(client, tokens, name="A", locale="en", phone="+959250000015")
    await publish(client, tokens, "12600")
    async with database.session() as s:
        producer = await s.get(Producer, producer_id)
        assert producer is not None
        producer.status = ProducerStatus.STOPPED
        s.add(producer)
    await dispatch_until(
        database, fast, {ChannelName.SMS: sms}, done(database, 1, DeliveryStatus.CANCELLED)
    )
    [delivery] = await deliveries(database)
    assert delivery.reason == "producer stopped alerts" and sms.attempts == []


async def test_the_daily_sms_budget_holds_sms_until_an_admin_releases_them(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    for i in range(3):
        await register(client, tokens, name=f"P{i}", locale="my", phone=f"+95925000002{i}")
        sms.known_urns.add(f"tel:+95925000002{i}")
    await publish(client, tokens, "12600")
    cost = (await deliveries(database))[0].cost
    tight = fast.model_copy(update={"sms_daily_budget": {"MM": cost * 2}})
    await dispatch_until(
        database,
        tight,
        {ChannelName.SMS: sms},
        done(database, 3, DeliveryStatus.SENT, DeliveryStatus.HELD),
    )
    assert Counter(d.status for d in await deliveries(database)) == {"sent": 2, "held": 1}
    [held] = [d for d in await deliveries(database) if d.status is DeliveryStatus.HELD]
    assert held.reason and "daily SMS budget for MM reached" in held.reason
    [budget] = (await client.get("/api/v1/budgets", headers=tokens.cde_mm)).json()
    assert (budget["country"], budget["held"], budget["currency"]) == ("MM", 1, "USD")
    assert Decimal(budget["spent"]) == cost * 2  # the budget shown is the app's own setting
    refused = await client.post(
        "/api/v1/deliveries/release", headers=tokens.cde_mm, json={"country": "MM"}
    )
    assert refused.status_code == 403
    released = await client.post(
        "/api/v1/deliveries/release", headers=tokens.admin, json={"country": "MM"}
    )
    assert released.json() == {"released": 1}
    await dispatch_until(
        database, tight, {ChannelName.SMS: sms}, done(database, 3, DeliveryStatus.SENT)
    )
    assert len(sms.sent) == 3


async def test_receipts_move_sent_to_delivered_or_failed_even_late(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    await register(client, tokens, name="A", locale="en", phone="+959250000031")
    await register(client, tokens, name="B", locale="en", phone="+959250000032")
    sms.known_urns |= {"tel:+959250000031", "tel:+959250000032"}
    await publish(client, tokens, "12600")
    await dispatch_until(
        database, fast, {ChannelName.SMS: sms}, done(database, 2, DeliveryStatus.SENT)
    )
    a, b = await deliveries(database)
    async with database.session() as s:
        got = await record_receipt(s, delivered=True, gateway_id=a.gateway_id)
        assert got is not None and got.status is DeliveryStatus.DELIVERED
        await record_receipt(s, delivered=True, delivery_id=b.id)
        late = await record_receipt(s, delivered=False, delivery_id=b.id, reason="SMSC: expired")
        assert late is not None and (late.status, late.reason) == (
            DeliveryStatus.FAILED,
            "SMSC: expired",
        )
        assert await record_receipt(s, delivered=True, gateway_id="nobody") is None


async def test_two_dispatchers_share_one_broadcast_without_sending_twice(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    settings: Settings,
) -> None:
    channel = RecordingChannel("sms")
    for i in range(40):
        phone = f"+9592500001{i:02d}"
        await register(client, tokens, name=f"P{i}", locale="en", phone=phone)
        channel.known_urns.add(f"tel:{phone}")
    await publish(client, tokens, "12600")
    other = Database(settings.database_url)
    small = fast.model_copy(update={"dispatch_batch": 3, "dispatch_concurrency": 4})
    second = Dispatcher(other, small, {ChannelName.SMS: channel}, worker="second")
    task = asyncio.create_task(second.run())
    try:
        await dispatch_until(
            database, small, {ChannelName.SMS: channel}, done(database, 40, DeliveryStatus.SENT)
        )
    finally:
        second.stop()
        await task
        await other.dispose()
    sent_ids = [m.delivery_id for m in channel.sent]
    assert len(sent_ids) == 40 and len(set(sent_ids)) == 40
    workers = Counter(d.claimed_by for d in await deliveries(database))
    assert sum(workers.values()) == 40


class Misbehaving(RecordingChannel):
    """A gateway that hangs on its first message and answers garbage to its second."""

    calls: int = 0

    async def send(self, message: OutboundMessage) -> SendResult:
        self.calls += 1
        if self.calls == 1:
            await asyncio.sleep(3600)
        if self.calls == 2:
            raise ValueError("Expecting value: line 1 column 1 (char 0) in '<html>502</html>'")
        return await super().send(message)


async def test_a_hanging_or_garbled_gateway_costs_an_attempt_and_nothing_else(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, fast: Settings
) -> None:
    await register(client, tokens, name="A", locale="en", phone="+959250000081")
    channel = Misbehaving("sms", known_urns={"tel:+959250000081"})
    await publish(client, tokens, "12600")
    patient = fast.model_copy(update={"dispatch_send_timeout_s": 0.2, "dispatch_max_attempts": 5})
    await dispatch_until(
        database, patient, {ChannelName.SMS: channel}, done(database, 1, DeliveryStatus.SENT)
    )
    [delivery] = await deliveries(database)
    assert delivery.attempts == 3 and len(channel.sent) == 1
    assert delivery.reason is None  # cleared once sent


async def test_a_scheduled_notice_goes_out_when_its_time_comes(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, fast: Settings
) -> None:
    await register(client, tokens, name="A", locale="en", telegram=9010)
    send_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    created = await client.post(
        "/api/v1/notices",
        headers=tokens.cde_mm,
        json={
            "texts": {"en": "Muse gate opens at 6."},
            "countries": ["MM"],
            "send_at": send_at.isoformat(),
        },
    )
    assert created.json()["status"] == "scheduled"
    assert await digests.queue_due(database, fast) == 0
    assert await deliveries(database) == []  # not yet
    async with database.session() as s:  # its time comes
        notice = await s.get(Notice, created.json()["id"])
        assert notice is not None
        notice.send_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await s.commit()
    assert await digests.queue_due(database, fast) == 1
    [delivery] = await deliveries(database)
    assert delivery.status is DeliveryStatus.QUEUED
    notice = (
        await client.get(f"/api/v1/notices/{created.json()['id']}", headers=tokens.cde_mm)
    ).json()
    assert notice["status"] == "sent"


async def test_a_report_that_overtakes_the_dispatchers_record_still_counts(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, fast: Settings
) -> None:
    await register(client, tokens, name="A", locale="en", phone="+959250000091")
    await publish(client, tokens, "12600")
    async with database.session() as s:
        [claimed] = (
            await claim(s, channel=ChannelName.SMS, worker="w", limit=5, settings=fast)
        ).deliveries
    async with database.session() as s:  # Kannel's report, before the send's result is written
        early = await record_receipt(s, delivered=True, delivery_id=claimed.delivery_id)
        assert early is not None and early.status is DeliveryStatus.DELIVERED
    async with database.session() as s:
        outcome = Outcome(claimed, dt.datetime.now(dt.UTC), result=SendResult("k-1"))
        await record(s, [outcome], worker="w", settings=fast)
    [delivery] = await deliveries(database)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.sent_at is not None


@pytest.mark.parametrize(
    ("factor", "expected"), [(0.5, [0.5, 1, 2, 1800]), (1.5, [1.5, 3, 6, 5400])]
)
def test_backoff_doubles_to_an_hour_then_jitters_by_half_either_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, factor: float, expected: list[float]
) -> None:
    """The extremes of the jitter: half and one and a half times the exponential base, which
    stops doubling at an hour."""
    monkeypatch.setattr(results.random, "uniform", lambda low, high: {0.5: low, 1.5: high}[factor])
    one = settings.model_copy(update={"dispatch_backoff_s": 1.0})
    assert [results.backoff(attempts, one) for attempts in (1, 2, 3, 30)] == expected
