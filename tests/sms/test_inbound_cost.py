"""What one inbound SMS costs the server: the webhook is matched before the API's routes, so a
gateway's storm of questions is not compared with every /api/v1 route first, and a question is
stored and answered in one transaction (on SQLite each one queues for the write lock)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlmodel import select

from app.alerts.models import Broadcast, BroadcastKind
from app.commands.models import InboundMessage
from app.core.db import Database
from tests.sms.test_inbound_stored_first import busy_settings, sms, sms_app
from tests.sms.test_sms_webhooks import mo

__all__ = ["busy_settings", "sms", "sms_app"]


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
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    engine = database.engine.sync_engine
    event.listen(engine, "begin", count)
    try:
        answered = await mo(sms, "959250000001", "mango muse", msg_id="cost-2")
    finally:
        event.remove(engine, "begin", count)
    assert answered.status_code == 200
    assert len(begun) == 1
    async with database.session() as s:
        [stored] = (await s.exec(select(InboundMessage))).all()
        replies = (
            await s.exec(select(Broadcast).where(Broadcast.kind == BroadcastKind.REPLY))
        ).all()
    assert stored.answered_at is not None and len(replies) == len(stored.replies) > 0
