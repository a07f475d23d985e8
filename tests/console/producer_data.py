"""Producers with a conversation behind them, as the console's tests read them: messages they
sent, replies delivered, failed and held, and a day's SMS spend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.accounts.actor import Actor
from app.alerts import delivery
from app.alerts.direct import queue_direct
from app.alerts.models import BroadcastKind, ChannelName, DeliveryStatus, SmsSpend
from app.catalogue.service import load_index
from app.commands.models import InboundMessage
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.producers.models import (
    ConsentChannel,
    ConsentIn,
    Producer,
    ProducerCreate,
    ProducerKind,
    Rule,
    Subscription,
)
from app.producers.service import register_producer


@dataclass(frozen=True)
class Seeded:
    mm: int  # Daw Khin Myo, MM, +959250123789, follows mango at muse
    kh: int  # Sok Dara, KH
    held: list[int]  # held SMS deliveries to Daw Khin Myo


MM_PHONE = "+959250123789"


async def add_producer(
    database: Database, name: str, country: str, phone: str, *, chat: int | None = None
) -> int:
    async with database.session() as session:
        producer = await register_producer(
            session,
            data=ProducerCreate(
                name=name,
                country=country,
                kind=ProducerKind.FARMER,
                phone=phone,
                telegram_chat_id=chat,
                consent=ConsentIn(channel=ConsentChannel.PAPER),
            ),
            actor=Actor.system("test"),
            via="test",
        )
        assert producer.id is not None
        return producer.id


async def seed_conversations(database: Database, settings: Settings) -> Seeded:
    mm = await add_producer(database, "Daw Khin Myo", "MM", MM_PHONE, chat=555123456)
    kh = await add_producer(database, "Sok Dara", "KH", "+85512345678")
    now = clock.utcnow()
    held: list[int] = []
    async with database.session() as session:
        index = await load_index(session)
        session.add(
            Subscription(
                producer_id=mm,
                commodity_id=index.commodity("mango").id or 0,
                market_id=index.market("muse").id,
                rule=Rule.EVERY,
            )
        )
        producer = await session.get(Producer, mm)
        assert producer is not None
        session.add(
            InboundMessage(
                urn=f"tel:{MM_PHONE}",
                channel="sms",
                text="PRICE MANGO call me +959250999888",
                intent="price",
                locale="my",
                producer_id=mm,
                received_at=now - dt.timedelta(minutes=30),
            )
        )
        outcomes = [
            (DeliveryStatus.DELIVERED, None),
            (DeliveryStatus.FAILED, "gateway refused +959250123789: unknown subscriber"),
            (DeliveryStatus.HELD, "the daily SMS budget of MM is spent"),
            (DeliveryStatus.HELD, "the daily SMS budget of MM is spent"),
        ]
        for n, (status, reason) in enumerate(outcomes):
            queued = await queue_direct(
                session,
                kind=BroadcastKind.REPLY,
                key=f"test:reply:{n}",
                text=f"Mango at Muse: 1,200 MMK/kg (reply {n})",
                urn=f"tel:{MM_PHONE}",
                country="MM",
                producer=producer,
                variant=delivery.variant_for(producer, ChannelName.SMS),
                settings=settings,
                now=now - dt.timedelta(minutes=20 - n),
            )
            queued.status = status
            queued.reason = reason
            queued.created_at = now - dt.timedelta(minutes=20 - n)
            queued.cost = Decimal("0.03")
            session.add(queued)
            await session.flush()
            if status is DeliveryStatus.HELD:
                assert queued.id is not None
                held.append(queued.id)
        session.add(SmsSpend(country_code="MM", day=now.date(), spent=Decimal("1.25"), held=2))
    return Seeded(mm=mm, kh=kh, held=held)
