"""Retention: past their settings' days, inbound messages and unfinished conversations are
deleted, deliveries lose whom they went to but keep what the counts and costs are made of, job
runs are deleted; newer rows and deliveries still waiting are left; and every batch is a
transaction of its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col, select

from app.alerts.delivery import variant_for
from app.alerts.direct import queue_direct
from app.alerts.models import BroadcastKind, ChannelName, Delivery, DeliveryStatus
from app.commands.models import ChatState, InboundMessage
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.producers.models import Address, Producer, ProducerKind
from app.sources.ingest import Counts
from app.sources.models import JobRun, RunStatus, RunTrigger
from jobs.housekeeping import apply_retention

PHONE = "+959250123789"


def days_ago(days: int) -> dt.datetime:
    return clock.utcnow() - dt.timedelta(days=days)


async def add_producer(database: Database) -> Producer:
    async with database.session() as session:
        producer = Producer(
            name="Daw Khin Myo", country_code="MM", locale="my", kind=ProducerKind.FARMER
        )
        session.add(producer)
        await session.flush()
        session.add(Address(producer_id=producer.id or 0, urn=f"tel:{PHONE}"))
        return producer


async def add_delivery(
    database: Database,
    settings: Settings,
    producer: Producer,
    *,
    age_days: int,
    status: DeliveryStatus = DeliveryStatus.DELIVERED,
    reason: str | None = None,
) -> int:
    """A reply sent to the producer's phone `age_days` ago, which ended as `status`."""
    async with database.session() as session:
        delivery = await queue_direct(
            session,
            kind=BroadcastKind.REPLY,
            key=f"reply:{age_days}:{status}",
            text="သရက်သီး",
            urn=f"tel:{PHONE}",
            country="MM",
            producer=producer,
            variant=variant_for(producer, ChannelName.SMS),
            settings=settings,
            now=days_ago(age_days),
        )
        delivery.status, delivery.reason = status, reason
        delivery.gateway_id = f"gw-{age_days}-{status}"
        session.add(delivery)
        return delivery.id or 0


async def test_old_rows_go_or_lose_their_person_and_the_rest_stays(
    database: Database, settings: Settings, seeded: None
) -> None:
    settings = settings.model_copy(
        update={
            "inbound_retention_days": 30,
            "delivery_retention_days": 60,
            "job_run_retention_days": 10,
        }
    )
    producer = await add_producer(database)
    old_failed = await add_delivery(
        database,
        settings,
        producer,
        age_days=61,
        status=DeliveryStatus.FAILED,
        reason=f"'tel:{PHONE}' is not a possible phone number",
    )
    old_delivered = await add_delivery(database, settings, producer, age_days=90)
    old_held = await add_delivery(
        database, settings, producer, age_days=61, status=DeliveryStatus.HELD
    )
    recent = await add_delivery(database, settings, producer, age_days=59)
    async with database.session() as session:
        for age, urn in ((31, "tel:+959250000001"), (29, "tel:+959250000002")):
            session.add(
                InboundMessage(urn=urn, channel="sms", text="mango muse", received_at=days_ago(age))
            )
            session.add(
                ChatState(
                    urn=urn.replace("tel:+", "telegram:"),
                    flow="register",
                    step="name",
                    data={"name": "Ma Ma"},
                    updated_at=days_ago(age),
                )
            )
        for age, status in (
            (11, RunStatus.SUCCEEDED),
            (11, RunStatus.RUNNING),
            (9, RunStatus.FAILED),
        ):
            session.add(
                JobRun(
                    job=f"job-{age}-{status}",
                    trigger=RunTrigger.SCHEDULE,
                    status=status,
                    runner="t",
                    started_at=days_ago(age),
                )
            )
    costs_before = await costs_by_broadcast(database)

    counts = Counts()
    await apply_retention(database, counts, settings=settings)

    async with database.session() as session:
        inbound = (await session.exec(select(InboundMessage.urn))).all()
        chats = (await session.exec(select(ChatState.urn))).all()
        runs = (await session.exec(select(JobRun.job).order_by(col(JobRun.job)))).all()
        deliveries = {d.id: d for d in (await session.exec(select(Delivery))).all()}
    assert inbound == ["tel:+959250000002"]
    assert chats == ["telegram:959250000002"]
    assert runs == ["job-11-running", "job-9-failed"]
    for anonymous in (old_failed, old_delivered):
        d = deliveries[anonymous]
        assert (d.producer_id, d.address_id, d.to_urn, d.gateway_id) == (None, None, None, None)
        assert (d.segments, d.cost, d.channel, d.country_code) == (1, Decimal("0.025"), "sms", "MM")
        assert d.text_id is not None and d.broadcast_id is not None
    assert deliveries[old_failed].reason == "'tel:+959••••••789' is not a possible phone number"
    assert deliveries[old_failed].status is DeliveryStatus.FAILED
    for kept in (old_held, recent):  # still waiting to be sent, or not old enough
        assert deliveries[kept].to_urn == f"tel:{PHONE}"
        assert deliveries[kept].producer_id == producer.id
    assert await costs_by_broadcast(database) == costs_before
    assert counts.updated == 1 + 1 + 2 + 1


async def costs_by_broadcast(database: Database) -> list[tuple[int, str, int, Decimal]]:
    """What the broadcasts' counts and costs are made of."""
    async with database.read_session() as session:
        rows = await session.exec(
            select(
                Delivery.broadcast_id, Delivery.status, sa.func.count(), sa.func.sum(Delivery.cost)
            )
            .group_by(Delivery.broadcast_id, Delivery.status)
            .order_by(Delivery.broadcast_id)
        )
        return [(b, str(s), n, Decimal(c)) for b, s, n, c in rows.all()]


async def test_each_batch_is_committed_before_the_next_begins(
    database: Database, settings: Settings
) -> None:
    async with database.session() as session:
        for n in range(7):
            session.add(
                InboundMessage(
                    urn=f"tel:+95925000{n:04d}", channel="sms", text="hi", received_at=days_ago(400)
                )
            )
    seen_between: list[int] = []

    async def pause() -> None:
        # Another connection sees what the batches so far committed.
        async with database.read_session() as session:
            seen_between.append(len((await session.exec(select(InboundMessage.id))).all()))

    counts = Counts()
    await apply_retention(database, counts, settings=settings, batch=3, pause=pause)

    assert seen_between == [4, 1]
    assert counts.updated == 7
