"""Helpers to register producers, publish prices, read a producer's outbox and run a dispatcher
until a condition holds."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.models import Broadcast, ChannelName, Delivery
from app.channels.base import Channel
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.producers.models import (
    ConsentChannel,
    ConsentIn,
    ProducerCreate,
    ProducerKind,
    SubscriptionCreate,
)
from app.producers.service import create_producer
from app.producers.subscriptions import add_subscription
from jobs.dispatcher import Dispatcher
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel

YANGON = ZoneInfo("Asia/Yangon")


def quiet_now() -> str:
    """A quiet-hours window around the current time in Yangon."""
    now = clock.utcnow().astimezone(YANGON)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}"


NEVER_QUIET = "00:00-00:00"


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Settings for tests that dispatch: no pacing waits, quick polls and retries."""
    return settings.model_copy(
        update={
            "telegram_rate": 0.0,
            "sms_rate": 0.0,
            "recipient_interval_s": 0.0,
            "dispatch_poll_s": 0.02,
            "dispatch_backoff_s": 0.05,
            "dispatch_max_attempts": 3,
        }
    )


@pytest.fixture
def telegram() -> RecordingChannel:
    return RecordingChannel("telegram")


@pytest.fixture
def sms() -> RecordingChannel:
    return RecordingChannel("sms")


async def register(
    client: httpx.AsyncClient,
    tokens: Tokens,
    *,
    name: str,
    locale: str,
    phone: str | None = None,
    telegram: int | None = None,
    quiet_hours: str = NEVER_QUIET,
    daily_cap: int = 5,
    country: str = "MM",
    subscribe: dict[str, Any] | None = None,
) -> int:
    body: dict[str, Any] = {
        "name": name,
        "country": country,
        "locale": locale,
        "kind": "farmer",
        "quiet_hours": quiet_hours,
        "daily_cap": daily_cap,
        "consent": {"channel": "paper"},
    }
    if phone:
        body["phone"] = phone
    if telegram:
        body["telegram_chat_id"] = telegram
    headers = tokens.admin
    created = await client.post("/api/v1/producers", headers=headers, json=body)
    assert created.status_code == 201, created.text
    producer_id: int = created.json()["id"]
    subscription = subscribe or {"commodity": "mango", "market": "muse", "rule": "every"}
    added = await client.post(
        f"/api/v1/producers/{producer_id}/subscriptions", headers=headers, json=subscription
    )
    assert added.status_code == 201, added.text
    return producer_id


async def follower(
    database: Database, *, name: str = "Daw Aye", phone: str = "+959250000321", leads: bool = False
) -> int:
    """A producer following every mango price at Muse (and mango buyer leads if asked), made
    through the producers service so that no API app has to run in the test's process."""
    admin = Staff(user_id=0, name="ana", role=Role.ADMIN, countries=None)
    async with database.session() as s:
        producer = await create_producer(
            s,
            staff=admin,
            data=ProducerCreate(
                name=name,
                country="MM",
                locale="en",
                phone=phone,
                kind=ProducerKind.FARMER,
                quiet_hours=NEVER_QUIET,
                consent=ConsentIn(channel=ConsentChannel.PAPER),
            ),
        )
        assert producer.id is not None
        await add_subscription(
            s,
            producer_id=producer.id,
            staff=admin,
            data=SubscriptionCreate(commodity="mango", market="muse", leads=leads),
        )
        return producer.id


async def add_reporter(
    client: httpx.AsyncClient, tokens: Tokens, *, trusted: bool, **address: Any
) -> int:
    """Ko Zaw, a field reporter in Myanmar writing in English, reached at `address` (`phone` or
    `telegram_chat_id`); a trusted reporter's prices are published at once."""
    roles = ["reporter", "trusted_reporter"] if trusted else ["reporter"]
    created = await client.post(
        "/api/v1/producers",
        headers=tokens.admin,
        json={
            "name": "Ko Zaw",
            "country": "MM",
            "locale": "en",
            "kind": "trader",
            "roles": roles,
            "consent": {"channel": "paper"},
            **address,
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def alerts_to(database: Database, producer_id: int) -> list[tuple[str, int | None]]:
    """The outbox rows of one producer, oldest first: (broadcast kind, its price or lead id)."""
    async with database.session() as s:
        rows = await s.exec(
            select(Broadcast)
            .join(Delivery, col(Delivery.broadcast_id) == Broadcast.id)
            .where(Delivery.producer_id == producer_id)
            .order_by(col(Delivery.id))
        )
        return [(str(b.kind), b.price_id or b.lead_id) for b in rows.all()]


async def publish(client: httpx.AsyncClient, tokens: Tokens, price: str, **extra: Any) -> int:
    body = {
        "commodity": "mango",
        "variety": "sein-ta-lone",
        "market": "muse",
        "price": price,
        "currency": "CNY",
        "unit": "tonne",
        "price_type": "border",
        "observed_on": clock.today("Asia/Yangon").isoformat(),
        **extra,
    }
    created = await client.post("/api/v1/prices", headers=tokens.cde_mm, json=body)
    assert created.status_code == 201, created.text
    price_id: int = created.json()["id"]
    published = await client.post(
        f"/api/v1/prices/{price_id}/publish",
        headers=tokens.cde_mm,
        json={"confirm_outlier": True},
    )
    assert published.status_code == 200, published.text
    return price_id


async def dispatch_until(
    database: Database,
    settings: Settings,
    channels: Mapping[ChannelName, Channel],
    condition: Callable[[], Awaitable[bool]],
    *,
    within: float = 15.0,
) -> Dispatcher:
    """Run a dispatcher until `condition` holds (checked against the database), then stop it."""
    dispatcher = Dispatcher(database, settings, channels)
    task = asyncio.create_task(dispatcher.run())
    try:
        async with asyncio.timeout(within):
            while not await condition():
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
    finally:
        dispatcher.stop()
        await task
    return dispatcher
