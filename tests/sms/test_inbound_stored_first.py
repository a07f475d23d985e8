"""Inbound SMS are stored before they are answered: many at once are all kept and answered
once each, and a failure while answering loses nothing (the scheduler's job answers later)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from app.alerts.models import Broadcast, BroadcastKind
from app.commands.models import InboundMessage
from app.commands.parse import ParserCache
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.inbound import sms as inbound_sms
from app.main import create_app
from jobs import inbound
from tests.alerts.conftest import publish
from tests.conftest import Tokens
from tests.sms.test_sms_webhooks import mo


@pytest.fixture
def busy_settings(kannel_settings: Settings) -> Settings:
    """SQLite's own busy handler gives up at once: only the process's writer turns can keep
    forty requests from refusing each other."""
    return kannel_settings.model_copy(update={"sqlite_busy_timeout_ms": 0})


@pytest.fixture
async def sms_app(busy_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(busy_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def sms(sms_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sms_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as c:
        yield c


async def _stored(database: Database) -> list[InboundMessage]:
    async with database.session() as s:
        return list((await s.exec(select(InboundMessage).order_by(col(InboundMessage.id)))).all())


async def _reply_keys(database: Database) -> list[str]:
    async with database.session() as s:
        rows = await s.exec(select(Broadcast.key).where(Broadcast.kind == BroadcastKind.REPLY))
        return list(rows.all())


async def test_forty_questions_at_once_are_all_stored_and_each_answered_once(
    sms: httpx.AsyncClient, client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await publish(client, tokens, "12600")
    questions = ["မူဆယ် သရက်သီးဈေး", "mango muse", "芒果 木姐 价格", "giá xoài"]
    sent = [(f"95925{i:07d}", questions[i % len(questions)], f"mo-{i}") for i in range(40)]
    answers = await asyncio.gather(
        *(mo(sms, phone, text, msg_id=msg_id) for phone, text, msg_id in sent)
    )
    assert [a.status_code for a in answers] == [200] * 40
    stored = await _stored(database)
    assert sorted(m.external_id or "" for m in stored) == sorted(m for _, _, m in sent)
    assert all(m.answered_at is not None and m.intent == "price" for m in stored)
    keys = Counter(key.rsplit(":", 1)[0] for key in await _reply_keys(database))
    assert set(keys) == {f"reply:{m.id}" for m in stored}  # every message answered
    assert set(keys.values()) == {1}  # once each, in one message


async def test_a_failure_while_answering_keeps_the_message_and_the_job_answers_it_once(
    sms: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    busy_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await publish(client, tokens, "12600")
    real_answer = inbound_sms.answer_message

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the database went away mid-answer")

    monkeypatch.setattr(inbound_sms, "answer_message", broken)
    answered = await mo(sms, "959250000001", "mango muse", msg_id="kept-1")
    assert answered.status_code == 200  # stored: the gateway must not resend it
    [waiting] = await _stored(database)
    assert waiting.external_id == "kept-1" and waiting.answered_at is None
    assert await _reply_keys(database) == []
    again = await mo(sms, "959250000001", "mango muse", msg_id="kept-1")  # Kannel resends
    assert again.status_code == 200 and len(await _stored(database)) == 1

    monkeypatch.setattr(inbound_sms, "answer_message", real_answer)
    parsers = ParserCache("en")
    # Too young: the request that stored it may still be answering it.
    assert await inbound.answer_unanswered(database, parsers, busy_settings) == 0
    async with database.session() as s:
        record = await s.get(InboundMessage, waiting.id)
        assert record is not None
        record.received_at = clock.utcnow() - dt.timedelta(seconds=inbound.RETRY_AFTER_S + 1)
    assert await inbound.answer_unanswered(database, parsers, busy_settings) == 1
    assert await inbound.answer_unanswered(database, parsers, busy_settings) == 0
    assert await _reply_keys(database) == [f"reply:{waiting.id}:0"]
    [done] = await _stored(database)
    assert done.answered_at is not None and done.intent == "price" and done.retries == 1


async def test_a_message_that_always_fails_is_tried_a_few_times_then_left_stored(
    database: Database, seeded: None, busy_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with database.session() as s:
        record = await inbound_sms.store_sms(s, sender="+959250000002", text="mango muse")
        assert record is not None
        record.received_at = clock.utcnow() - dt.timedelta(minutes=5)

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a message this code cannot answer")

    monkeypatch.setattr(inbound_sms, "answer_message", broken)
    parsers = ParserCache("en")
    for _ in range(inbound.MAX_RETRIES + 2):
        assert await inbound.answer_unanswered(database, parsers, busy_settings) == 0
    [left] = await _stored(database)
    assert left.answered_at is None and left.retries == inbound.MAX_RETRIES
