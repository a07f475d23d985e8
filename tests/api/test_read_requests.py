"""GET requests read in a read session: on SQLite they neither wait for nor take the write lock,
and the one write a read request may need (a token's use, once a minute) gets a transaction of
its own."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import httpx
from sqlmodel import col, select

from app.accounts.models import ApiToken, Role, StaffUser
from app.core.db import Database
from tests.conftest import Tokens


async def _last_used(database: Database, name: str) -> dt.datetime | None:
    async with database.read_session() as s:
        statement = (
            select(ApiToken.last_used_at)
            .join(StaffUser, col(StaffUser.id) == col(ApiToken.staff_user_id))
            .where(StaffUser.name == name)
        )
        return (await s.exec(statement)).one()


async def test_a_get_answers_while_another_process_holds_the_write_lock(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    # The token's use is recorded now: the read below needs no write of its own.
    assert (await client.get("/api/v1/me", headers=tokens.cde_mm)).status_code == 200
    async with database.session() as other_process:
        other_process.add(StaffUser(name="uncommitted", role=Role.VIEWER, countries=["MM"]))
        await other_process.flush()  # on SQLite this transaction now holds the write lock
        async with asyncio.timeout(10):
            answer = await client.get("/api/v1/me", headers=tokens.cde_mm)
            countries = await client.get("/api/v1/countries")
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "thida"
    assert countries.status_code == 200, countries.text


async def test_a_token_use_is_recorded_once_a_minute_by_reads_and_writes(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    stand_at: Callable[[dt.datetime], None],
) -> None:
    start = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
    assert await _last_used(database, "thida") is None
    steps = [
        ("GET", dt.timedelta(0), dt.timedelta(0)),  # the first use, from a read request
        ("GET", dt.timedelta(seconds=30), dt.timedelta(0)),  # within the minute: not again
        ("GET", dt.timedelta(minutes=2), dt.timedelta(minutes=2)),
        ("PATCH", dt.timedelta(minutes=2, seconds=30), dt.timedelta(minutes=2)),
        ("PATCH", dt.timedelta(minutes=4), dt.timedelta(minutes=4)),  # from a write request
    ]
    for method, after, recorded in steps:
        stand_at(start + after)
        answer = await client.request(
            method,
            "/api/v1/me",
            headers=tokens.cde_mm,
            json={"contact": "+959250123456"} if method == "PATCH" else None,
        )
        assert answer.status_code == 200, answer.text
        assert await _last_used(database, "thida") == start + recorded, (method, after)
