"""MIC served over HTTP on loopback, talking to a real Kannel (bearerbox + smsbox) whose fake
SMSC is driven from the test as an operator's SMSC would: MO in, MT out, delivery reports back,
and a bearerbox restart in the middle of a broadcast."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlmodel import col, select

from app.alerts.models import Delivery, DeliveryStatus
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.alerts.conftest import publish, register
from tests.conftest import Tokens, free_port
from tests.fakes.kannel import KannelHarness, MtMessage

SECRET = "kannel-integration-secret"
BURMESE_QUESTION = "မူဆယ် သရက်သီးဈေး"


@asynccontextmanager
async def serve(settings: Settings, port: int) -> AsyncIterator[None]:
    """The whole app (webhooks, dispatcher in its lifespan) on a real loopback port."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        await task


async def until(condition: Callable[[], Awaitable[bool]], what: str, within: float = 30) -> None:
    try:
        async with asyncio.timeout(within):
            while not await condition():  # noqa: ASYNC110 - the condition lives in the database
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def parts_of_one_message(kannel: KannelHarness) -> list[MtMessage]:
    """The MT lines of one SMS: one line, or every part of a concatenated one."""
    first = await kannel.next_mt(30)
    parts = [first]
    if first.concat is not None:
        parts += [await kannel.next_mt(30) for _ in range(first.concat.total - 1)]
    return parts


async def deliveries_to(database: Database, urn: str) -> list[Delivery]:
    async with database.session() as s:
        rows = await s.exec(
            select(Delivery).where(Delivery.to_urn == urn).order_by(col(Delivery.id))
        )
        return list(rows.all())


@pytest.fixture
async def kannel(tmp_path: Path) -> AsyncIterator[tuple[KannelHarness, int]]:
    port = free_port()
    mo_url = f"http://127.0.0.1:{port}/webhooks/sms/kannel/inbound?secret={SECRET}"
    async with KannelHarness(tmp_path / "kannel", mo_url=mo_url) as harness:
        yield harness, port


def mic_settings(settings: Settings, kannel: KannelHarness, port: int) -> Settings:
    return settings.model_copy(
        update={
            "dispatcher": True,
            "sms_gateway": "kannel",
            "sms_sender": "1234",
            "kannel_sendsms_url": kannel.sendsms_url,
            "kannel_username": kannel.username,
            "kannel_password": SecretStr(kannel.password),
            "sms_webhook_secret": SecretStr(SECRET),
            "public_url": f"http://127.0.0.1:{port}",
            "sms_rate": 0.0,
            "recipient_interval_s": 0.0,
            "dispatch_poll_s": 0.05,
            "dispatch_backoff_s": 0.3,
            "dispatch_max_attempts": 50,
            "sms_daily_budget": {},
        }
    )


async def test_burmese_and_english_questions_answered_through_kannel_with_reports(
    kannel: tuple[KannelHarness, int],
    settings: Settings,
    database: Database,
    client: httpx.AsyncClient,
    tokens: Tokens,
) -> None:
    harness, port = kannel
    await publish(client, tokens, "12600")
    async with serve(mic_settings(settings, harness, port), port):
        await harness.send_mo("959250000001", "1234", BURMESE_QUESTION)  # UCS-2 on the air
        burmese = await parts_of_one_message(harness)
        await harness.send_mo("959250000002", "1234", "PRICE MANGO MUSE")
        english = await parts_of_one_message(harness)

        async def delivered() -> bool:
            rows = await deliveries_to(database, "tel:+959250000001")
            rows += await deliveries_to(database, "tel:+959250000002")
            return len(rows) == 2 and all(d.status is DeliveryStatus.DELIVERED for d in rows)

        await until(delivered, "Kannel's delivery reports")
    [to_burmese] = await deliveries_to(database, "tel:+959250000001")
    [to_english] = await deliveries_to(database, "tel:+959250000002")
    assert all(p.receiver in ("959250000001", "+959250000001") for p in burmese)
    assert len(burmese) == to_burmese.segments == 2 and all(p.coding == 2 for p in burmese)
    assert "".join(p.text for p in burmese).startswith("မူဆယ်")
    assert len(english) == to_english.segments and all(p.coding == 0 for p in english)
    assert "Mango" in "".join(p.text for p in english)
    print("\nMO (Burmese, UCS-2):", BURMESE_QUESTION)
    for part in burmese:
        print("MT part:", part.line[:160])
    print("MO (English, GSM-7): PRICE MANGO MUSE")
    for part in english:
        print("MT part:", part.line[:160])
    print("deliveries:", [(d.id, d.segments, str(d.status)) for d in (to_burmese, to_english)])
    print("bearerbox access log:")
    for line in harness.bearerbox_access_log.read_text(errors="replace").splitlines():
        print(" ", line[:220])


async def test_a_bearerbox_restart_mid_broadcast_loses_nothing(
    kannel: tuple[KannelHarness, int],
    settings: Settings,
    database: Database,
    client: httpx.AsyncClient,
    tokens: Tokens,
) -> None:
    harness, port = kannel
    phones = [f"+9592500002{i:02d}" for i in range(20)]
    for i, phone in enumerate(phones):
        await register(client, tokens, name=f"P{i}", locale="en", phone=phone)
    paced = mic_settings(settings, harness, port).model_copy(update={"sms_rate": 4.0})
    async with serve(paced, port):  # 4 SMS a second: the restart lands mid-broadcast
        await publish(client, tokens, "12600")
        await harness.next_mt(30)  # the broadcast is under way
        await harness.stop_bearerbox()
        # bearerbox keeps pending delivery reports in memory: a message it accepted just before
        # it stopped reaches the phone, but its report may go with the restart.
        async with database.session() as s:
            sent_before_stop = {
                d.id
                for d in (await s.exec(select(Delivery))).all()
                if d.status is DeliveryStatus.SENT
            }

        async def some_retrying() -> bool:
            async with database.session() as s:
                rows = (await s.exec(select(Delivery))).all()
            return any(d.status is DeliveryStatus.ERRORED for d in rows)

        await until(some_retrying, "a delivery to meet the stopped Kannel")
        await harness.start_bearerbox()

        async def all_delivered() -> bool:
            async with database.session() as s:
                rows = (await s.exec(select(Delivery))).all()
            return len(rows) == 20 and all(
                d.status is DeliveryStatus.DELIVERED
                or (d.id in sent_before_stop and d.status is DeliveryStatus.SENT)
                for d in rows
            )

        try:
            await until(all_delivered, "every delivery to be delivered after the restart", 60)
        except AssertionError:
            async with database.session() as s:
                rows = (await s.exec(select(Delivery))).all()
            print([(d.id, str(d.status), d.attempts, d.reason) for d in rows])
            print(sorted({line.split()[1] for line in harness.mt_lines}))
            print(harness.log_tails(30))
            raise
    received = {line.split()[1].lstrip("+") for line in harness.mt_lines}
    assert received == {p.lstrip("+") for p in phones}
    async with database.session() as s:
        retried = [d for d in (await s.exec(select(Delivery))).all() if d.attempts > 1]
    assert retried, "no delivery met the outage"
    print(f"\n20 deliveries delivered; {len(retried)} retried across the restart")
