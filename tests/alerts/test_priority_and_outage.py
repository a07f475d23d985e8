"""Answers before alerts, and a gateway that is down: held as a channel, not failed message by
message (the survival bench's gateway outage found both wanting)."""

from __future__ import annotations

import httpx
from sqlmodel import col, select

from app.alerts.claims import claim
from app.alerts.content import Variant
from app.alerts.direct import queue_direct
from app.alerts.models import BroadcastKind, ChannelName, ChannelPace, Delivery, DeliveryStatus
from app.channels.base import ChannelError, ErrorKind
from app.channels.outage import OutageWatch
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.text.formatting import Script
from tests.alerts.conftest import dispatch_until, publish, register
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel
from tests.ops.scrapes import scrape, value

DOWN = ChannelError(ErrorKind.TRANSIENT, "Kannel 503: Service Unavailable")


async def _deliveries(database: Database) -> list[Delivery]:
    async with database.session() as s:
        return list((await s.exec(select(Delivery).order_by(col(Delivery.id)))).all())


async def test_an_answer_is_claimed_before_alerts_that_were_due_earlier(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, fast: Settings
) -> None:
    for i in range(3):
        await register(client, tokens, name=f"P{i}", locale="en", phone=f"+95925000003{i}")
    await publish(client, tokens, "12600")  # three alerts, due now
    async with database.session() as s:
        reply = await queue_direct(
            s,
            kind=BroadcastKind.REPLY,
            key="reply:1:0",
            text="Mango Muse 12600 CNY/tonne",
            urn="tel:+959250000999",
            country="MM",
            producer=None,
            variant=Variant("en", Script.UNICODE, "latin", False, ChannelName.SMS),
            settings=fast,
            now=clock.utcnow(),
        )
    async with database.session() as s:
        first = await claim(s, channel=ChannelName.SMS, worker="w", limit=1, settings=fast)
    assert [c.delivery_id for c in first.deliveries] == [reply.id]
    async with database.session() as s:
        rest = await claim(s, channel=ChannelName.SMS, worker="w", limit=10, settings=fast)
    assert len(rest.deliveries) == 3  # the alerts fill what the answers leave


async def test_a_gateway_that_is_down_holds_the_channel_and_costs_no_attempts(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    phones = [f"+95925000004{i}" for i in range(6)]
    for i, phone in enumerate(phones):
        await register(client, tokens, name=f"P{i}", locale="en", phone=phone)
    sms.known_urns |= {f"tel:{p}" for p in phones}
    # Twelve failures: two each. Failed message by message, with two attempts allowed, every
    # message would give up.
    sms.fail("*", *[DOWN] * 12)
    await publish(client, tokens, "12600")
    settings = fast.model_copy(
        update={
            "dispatch_max_attempts": 2,
            "dispatch_outage_after": 3,
            "dispatch_outage_probe_s": 0.2,
        }
    )

    async def all_sent() -> bool:
        rows = await _deliveries(database)
        return all(d.status is DeliveryStatus.SENT for d in rows)

    dispatcher = await dispatch_until(database, settings, {ChannelName.SMS: sms}, all_sent)
    rows = await _deliveries(database)
    assert len(rows) == 6 and len(sms.sent) == 6 and len(sms.attempts) == 18
    # Only the failures before the channel was known to be down cost an attempt.
    assert sum(d.attempts for d in rows) <= 6 + 2
    async with database.session() as s:
        pace = await s.get(ChannelPace, "sms")
    assert pace is not None and pace.paused_until is not None  # every dispatcher held it
    counted = await scrape(dispatcher.metrics)
    assert value(counted, "mic_dispatcher_sends_total", result="unavailable") >= 10
    assert value(counted, "mic_dispatcher_pauses_total", channel="sms") >= 1


def test_an_outage_is_several_messages_failing_in_a_row_and_ends_with_one_sent() -> None:
    watch = OutageWatch(after=3, probe_s=7)
    # One message failing again and again is that message's trouble: it runs out of attempts.
    assert [watch.judge(1, DOWN) for _ in range(5)] == [DOWN] * 5
    assert not watch.down
    assert watch.judge(2, DOWN) is DOWN
    held = watch.judge(3, DOWN)
    assert held is not None and held.kind is ErrorKind.UNAVAILABLE and held.retry_after == 7
    assert held.reason.startswith("channel down (7 failures in a row): Kannel 503")
    # A 429 or a permanent failure says nothing about an outage, and passes as it is.
    permanent = ChannelError(ErrorKind.PERMANENT, "bad number")
    assert watch.judge(4, permanent) is permanent and watch.down
    assert watch.judge(5, None) is None and not watch.down  # one sent: the gateway is back
    assert watch.judge(6, DOWN) is DOWN
