"""What one inbound SMS costs the server: the webhook is matched before the API's routes, so a
gateway's storm of questions is not compared with every /api/v1 route first, and a question is
stored and answered in one transaction (on SQLite each one queues for the write lock), and no
question pays for loading what the process can load when it starts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import babel.localedata
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlmodel import select

from app.alerts.models import Broadcast, BroadcastKind
from app.commands.models import InboundMessage
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.alerts.conftest import publish
from tests.conftest import Tokens
from tests.sms.test_inbound_stored_first import busy_settings, sms, sms_app
from tests.sms.test_sms_webhooks import mo

__all__ = ["busy_settings", "sms", "sms_app"]


@contextlib.contextmanager
def _heard(database: Database, name: str) -> Iterator[list[tuple[Any, ...]]]:
    """The arguments of each `name` event of the database's engine within the block."""
    heard: list[tuple[Any, ...]] = []

    def listener(*args: Any) -> None:
        heard.append(args)

    engine = database.engine.sync_engine
    event.listen(engine, name, listener)
    try:
        yield heard
    finally:
        event.remove(engine, name, listener)


async def test_an_inbound_sms_is_matched_without_trying_the_api_routes(
    sms: httpx.AsyncClient, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[str] = []
    real_matches = APIRoute.matches

    def counted(route: APIRoute, scope: Any) -> Any:
        tried.append(route.endpoint.__module__)
        return real_matches(route, scope)

    monkeypatch.setattr(APIRoute, "matches", counted)
    answered = await mo(sms, "959250000001", "mango muse", msg_id="cost-1")
    assert answered.status_code == 200
    assert "bots.sms.webhook" in tried
    # The admin API's routes live in the domains' api modules (app.prices.api, ...).
    assert not [module for module in tried if module.endswith(".api")]


async def test_an_inbound_sms_is_stored_and_answered_in_one_transaction(
    sms: httpx.AsyncClient, sms_app: FastAPI, seeded: None
) -> None:
    database: Database = sms_app.state.database
    with _heard(database, "begin") as begun:
        answered = await mo(sms, "959250000001", "mango muse", msg_id="cost-2")
    assert answered.status_code == 200
    assert len(begun) == 1
    async with database.session() as s:
        [stored] = (await s.exec(select(InboundMessage))).all()
        replies = (
            await s.exec(select(Broadcast).where(Broadcast.kind == BroadcastKind.REPLY))
        ).all()
    assert stored.answered_at is not None and len(replies) == len(stored.replies) > 0


async def test_the_first_question_in_each_language_reads_no_locale_data(
    busy_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Babel reads a locale's data on first use, slowly, while the question holds SQLite's
    write turn: the process reads them all when it starts."""
    await publish(client, tokens, "12600")
    babel.localedata.clear_caches()  # as in a new process
    application = create_app(busy_settings)
    async with application.router.lifespan_context(application):
        read: list[str] = []
        real_load = babel.localedata.load

        def recorded(name: str, merge_inherited: bool = True) -> Any:
            read.append(name)
            return real_load(name, merge_inherited)

        monkeypatch.setattr(babel.localedata, "load", recorded)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as sms:
            questions = {
                "959250000001": "မူဆယ် သရက်သီးဈေး",
                "959250000002": "芒果 木姐 价格",
                "85512000001": "តម្លៃស្វាយ មូសេ",
                "8562055000001": "ລາຄາໝາກມ່ວງ ມູເຊ",
                "84901000001": "giá xoài muse",
            }
            for number, (phone, text) in enumerate(questions.items()):
                answered = await mo(sms, phone, text, msg_id=f"locale-{number}")
                assert answered.status_code == 200
        async with application.state.database.session() as s:
            stored = (await s.exec(select(InboundMessage))).all()
    assert {m.locale for m in stored} == {"my", "zh", "km", "lo", "vi"}
    assert all(m.intent == "price" and m.replies for m in stored)
    assert read == []


async def test_a_stored_sms_is_answered_without_reading_it_back(
    sms: httpx.AsyncClient, sms_app: FastAPI, seeded: None
) -> None:
    with _heard(sms_app.state.database, "before_cursor_execute") as executed:
        answered = await mo(sms, "959250000001", "mango muse", msg_id="cost-3")
    assert answered.status_code == 200
    statements = [" ".join(str(args[2]).split()) for args in executed]
    assert [s for s in statements if s.startswith("INSERT INTO inbound_message")]
    assert [s for s in statements if s.startswith("UPDATE inbound_message")]
    assert not [s for s in statements if s.startswith("SELECT inbound_message.")]
