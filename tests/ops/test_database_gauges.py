"""The gauges read from the database: they follow the outbox, SMS spend, inbound messages and
job runs; only the scheduler's leader exports them; a storm of scrapes reads the database once
per cache period. On both engines."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from sqlmodel import col, select

from app.alerts.models import ChannelName, Delivery, DeliveryStatus
from app.commands.models import InboundMessage
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.metrics import Metrics
from app.ops.gauges import DatabaseGauges
from app.ops.leaders import current_leaders
from app.sources.models import RunStatus
from jobs.scheduler import Scheduler
from tests.alerts.conftest import dispatch_until, fast, publish, register, sms
from tests.conftest import ENGINE, Tokens
from tests.fakes.channel import RecordingChannel
from tests.ops.runs import finished_run
from tests.ops.scrapes import names, scrape, value

__all__ = ["fast", "sms"]  # fixtures of tests/alerts, used here too

NOW = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 09:30 in Yangon
DAY = dt.timedelta(days=1)


@dataclass
class Lead:
    """A leadership whose state the test sets."""

    is_leader: bool = True


def exported(database: Database, settings: Settings, lead: Lead, *, cache_s: float = 0) -> Metrics:
    metrics = Metrics("test-process")
    gauges = DatabaseGauges(
        database, settings.model_copy(update={"metrics_cache_s": cache_s}), lead
    )
    metrics.register(gauges, refresh=gauges.refresh)
    return metrics


async def follow_mango(client: httpx.AsyncClient, tokens: Tokens, count: int) -> None:
    for n in range(count):
        await register(client, tokens, name=f"P{n}", locale="en", phone=f"+9592500001{n:02d}")


async def test_the_outbox_gauges_follow_queued_deliveries(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    settings: Settings,
    stand_at: Callable[[dt.datetime], None],
) -> None:
    stand_at(NOW)
    metrics = exported(database, settings, Lead())
    before = await scrape(metrics)
    assert value(before, "mic_outbox_deliveries", channel="sms", status="queued") == 0
    assert value(before, "mic_outbox_oldest_due_age_seconds", channel="sms") == 0
    assert value(before, "mic_deliveries_last_24h", channel="sms") is None

    await follow_mango(client, tokens, 3)
    await publish(client, tokens, "12600")
    stand_at(NOW + dt.timedelta(minutes=5))
    after = await scrape(metrics)
    assert value(after, "mic_outbox_deliveries", channel="sms", status="queued") == 3
    assert value(after, "mic_outbox_deliveries", channel="telegram", status="queued") == 0
    assert value(after, "mic_outbox_oldest_due_age_seconds", channel="sms") == 300
    assert value(after, "mic_deliveries_last_24h", channel="sms", status="queued") == 3
    assert (
        value(after, "mic_database_facts_timestamp_seconds")
        == (NOW + dt.timedelta(minutes=5)).timestamp()
    )
    labels = {"channel": "sms", "status": "queued", "process": "test-process"}
    assert value(after, "mic_outbox_deliveries", **labels) == 3


async def test_only_the_leader_exports_them(database: Database, settings: Settings) -> None:
    lead = Lead(is_leader=False)
    metrics = exported(database, settings, lead)
    metrics.watch_leader("scheduler", lead)
    following = await scrape(metrics)
    assert value(following, "mic_leader", role="scheduler") == 0
    assert not {n for n in names(following) if n.startswith(("mic_outbox", "mic_sms"))}
    lead.is_leader = True
    leading = await scrape(metrics)
    assert value(leading, "mic_leader", role="scheduler") == 1
    assert value(leading, "mic_outbox_deliveries", channel="sms", status="queued") == 0
    lead.is_leader = False
    assert value(await scrape(metrics), "mic_outbox_deliveries", channel="sms") is None


async def test_a_storm_of_scrapes_reads_the_database_once_per_cache_period(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    metrics = exported(database, settings, Lead(), cache_s=3600)
    await follow_mango(client, tokens, 2)
    first = await scrape(metrics)
    await publish(client, tokens, "12600")
    storm = await asyncio.gather(*(scrape(metrics) for _ in range(20)))
    assert value(first, "mic_outbox_deliveries", channel="sms", status="queued") == 0
    assert {value(s, "mic_outbox_deliveries", channel="sms", status="queued") for s in storm} == {0}
    fresh = await scrape(exported(database, settings, Lead()))
    assert value(fresh, "mic_outbox_deliveries", channel="sms", status="queued") == 2


async def test_sms_today_counts_segments_sent_and_the_spend_against_the_budget(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
    sms: RecordingChannel,
) -> None:
    await follow_mango(client, tokens, 2)
    sms.known_urns |= {"tel:+959250000100", "tel:+959250000101"}
    await publish(client, tokens, "12600")

    async def all_sent() -> bool:
        async with database.read_session() as s:
            rows = (await s.exec(select(Delivery))).all()
        return len(rows) == 2 and all(d.status is DeliveryStatus.SENT for d in rows)

    dispatcher = await dispatch_until(database, fast, {ChannelName.SMS: sms}, all_sent)
    async with database.read_session() as s:
        rows = (await s.exec(select(Delivery))).all()
    segments = sum(d.segments for d in rows)
    cost = sum((d.cost for d in rows), Decimal(0))
    assert segments >= 2

    samples = await scrape(exported(database, fast, Lead()))
    assert value(samples, "mic_sms_segments_today", country="MM") == segments
    assert value(samples, "mic_sms_spent_today", country="MM", currency="USD") == float(cost)
    assert value(samples, "mic_sms_daily_budget", country="MM", currency="USD") == 50
    assert value(samples, "mic_sms_held", country="MM") == 0
    assert value(samples, "mic_sms_segments_today", country="KH") == 0
    assert value(samples, "mic_outbox_deliveries", channel="sms", status="queued") == 0
    assert value(samples, "mic_deliveries_last_24h", channel="sms", status="sent") == 2

    sends = await scrape(dispatcher.metrics)
    assert value(sends, "mic_dispatcher_sends_total", channel="sms", result="sent") == 2


async def test_inbound_messages_by_outcome_and_job_runs_with_their_failures(
    database: Database, settings: Settings, seeded: None, stand_at: Callable[[dt.datetime], None]
) -> None:
    stand_at(NOW)
    async with database.session() as s:
        for intent, answered in (
            ("price", NOW - dt.timedelta(hours=2)),
            ("price", NOW - dt.timedelta(hours=1)),
            ("unknown", NOW - dt.timedelta(hours=3)),
            ("", NOW - dt.timedelta(hours=4)),  # a number MIC does not serve: no reply
            ("", None),  # stored, its answer still to come
            ("price", NOW - 2 * DAY),  # answered before the window
        ):
            s.add(
                InboundMessage(
                    urn="tel:+959250000999",
                    channel="sms",
                    text="x",
                    intent=intent,
                    received_at=answered or NOW,
                    answered_at=answered,
                )
            )
        s.add(
            InboundMessage(
                urn="telegram:5",
                channel="telegram",
                text="x",
                intent="help",
                answered_at=NOW - dt.timedelta(minutes=5),
            )
        )
        for job, status, started in (
            ("source:1", RunStatus.SUCCEEDED, NOW - 3 * DAY),
            ("source:1", RunStatus.FAILED, NOW - 2 * DAY),
            ("source:1", RunStatus.ABANDONED, NOW - DAY - dt.timedelta(hours=1)),
            ("source:1", RunStatus.FAILED, NOW - dt.timedelta(hours=1)),
            ("source:2", RunStatus.FAILED, NOW - 2 * DAY),
            ("source:2", RunStatus.SKIPPED, NOW - dt.timedelta(hours=5)),
            ("housekeeping.leads", RunStatus.SUCCEEDED, NOW - dt.timedelta(minutes=55)),
        ):
            s.add(finished_run(job, status, started))
    samples = await scrape(exported(database, settings, Lead()))
    inbound = "mic_inbound_messages_last_24h"
    assert value(samples, inbound, channel="sms", outcome="price") == 2
    assert value(samples, inbound, channel="sms", outcome="unknown") == 1
    assert value(samples, inbound, channel="sms", outcome="not_served") == 1
    assert value(samples, inbound, channel="sms", outcome="unanswered") == 1
    assert value(samples, inbound, channel="telegram", outcome="help") == 1

    assert value(samples, "mic_job_runs_last_24h", job_name="source:1", status="failed") == 1
    assert value(samples, "mic_job_runs_last_24h", job_name="source:1", status="abandoned") is None
    last = "mic_job_last_run_timestamp_seconds"
    assert (
        value(samples, last, job_name="source:1", status="failed")
        == (NOW - dt.timedelta(hours=1)).timestamp()
    )
    assert value(samples, last, job_name="source:2", status="skipped") is not None
    assert value(samples, "mic_job_last_run_duration_seconds", job_name="source:1") == 42
    failing = "mic_job_failing_since_timestamp_seconds"
    assert value(samples, failing, job_name="source:1") == (NOW - 2 * DAY).timestamp()
    assert value(samples, failing, job_name="source:2") is None
    assert value(samples, failing, job_name="housekeeping.leads") is None


@pytest.mark.skipif(ENGINE != "postgresql", reason="leader election is PostgreSQL's")
async def test_of_two_schedulers_only_the_leader_exports_and_the_database_names_it(
    database: Database, settings: Settings, seeded: None
) -> None:
    second_db = Database(settings.database_url)
    first = Scheduler(database, settings.model_copy(update={"process_name": "sched-a"}))
    second = Scheduler(second_db, settings.model_copy(update={"process_name": "sched-b"}))
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        async with asyncio.timeout(20):
            while not (first.running or second.running):  # noqa: ASYNC110 - other connections
                await asyncio.sleep(0.02)
        leader, follower = (first, second) if first.running else (second, first)
        led, followed = await scrape(leader.metrics), await scrape(follower.metrics)
        assert value(led, "mic_leader", role="scheduler") == 1
        assert value(followed, "mic_leader", role="scheduler") == 0
        assert value(led, "mic_outbox_deliveries", channel="sms", status="queued") == 0
        assert value(followed, "mic_outbox_deliveries", channel="sms", status="queued") is None
        async with database.read_session() as session:
            leaders = {lead.role: lead for lead in await current_leaders(session)}
        assert leaders["scheduler"].holder == leader.settings.process_name
        assert leaders["scheduler"].since is not None
        assert (leaders["telegram"].known, leaders["telegram"].holder) == (True, None)
    finally:
        first.stop()
        second.stop()
        await asyncio.gather(*tasks)
        await second_db.dispose()


async def test_sqlite_says_it_cannot_tell_who_leads(database: Database) -> None:
    async with database.read_session() as session:
        leaders = await current_leaders(session)
    if ENGINE == "sqlite":
        assert [(lead.role, lead.known) for lead in leaders] == [
            ("scheduler", False),
            ("telegram", False),
        ]
    else:
        assert [(lead.role, lead.known, lead.holder) for lead in leaders] == [
            ("scheduler", True, None),
            ("telegram", True, None),
        ]


async def test_pending_deliveries_of_every_status_are_counted(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    await follow_mango(client, tokens, 4)
    await publish(client, tokens, "12600")
    async with database.session() as s:
        rows = (await s.exec(select(Delivery).order_by(col(Delivery.id)))).all()
        for delivery, status in zip(
            rows,
            (DeliveryStatus.HELD, DeliveryStatus.ERRORED, DeliveryStatus.SENDING),
            strict=False,
        ):
            delivery.status = status
            delivery.next_attempt_at = None if status is DeliveryStatus.HELD else clock.utcnow()
            s.add(delivery)
    samples = await scrape(exported(database, settings, Lead()))
    for status in ("queued", "errored", "sending", "held"):
        assert value(samples, "mic_outbox_deliveries", channel="sms", status=status) == 1
