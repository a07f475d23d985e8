"""The SQLite driver does each statement in one call on aiosqlite's thread, and behaves as the
stock one does: rows, row counts, new ids, many parameter sets, errors, transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core import sqlite_driver


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    engine = create_async_engine(f"sqlite+{sqlite_driver.DRIVER}:///{tmp_path / 'd.db'}")
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_a_statement_is_one_call_on_the_connection_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    stock = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await stock(self, fn, *args, **kwargs)

    async with engine.connect() as connection:
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        rows = (await connection.execute(sa.text("SELECT 1 UNION SELECT 2"))).all()
        monkeypatch.undo()
    assert rows == [(1,), (2,)]
    assert calls == 1  # the stock adapter makes four: cursor, execute, fetchall, close


async def test_rows_counts_ids_and_many_parameter_sets(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(sa.text("INSERT INTO t (v) VALUES ('a')"))
        assert first.lastrowid == 1
        await connection.execute(
            sa.text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}, {"v": "d"}]
        )
        changed = await connection.execute(sa.text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert changed.rowcount == 3
        inserted = await connection.execute(
            sa.text("INSERT INTO t (v) VALUES ('e') RETURNING id, v")
        )
        assert inserted.one() == (5, "e")
        rows = (await connection.execute(sa.text("SELECT v FROM t ORDER BY id"))).scalars()
        assert list(rows) == ["a", "b!", "c!", "d!", "e"]


async def test_errors_and_rollback_are_the_stock_ones(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
        async with engine.begin() as connection:
            await connection.execute(sa.text("INSERT INTO t (v) VALUES ('x')"))
            await connection.execute(sa.text("INSERT INTO t (v) VALUES ('x')"))
    async with engine.connect() as connection:
        count = (await connection.execute(sa.text("SELECT count(*) FROM t"))).scalar_one()
    assert count == 0  # the whole transaction rolled back


async def test_inside_a_write_locked_transaction_only_begin_and_commit_cross(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.db import Database

    database = Database(f"sqlite:///{tmp_path / 'mic.db'}")  # every transaction BEGIN IMMEDIATE
    crossings: list[str] = []
    stock = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        crossings.append(getattr(fn, "__name__", "?") + ":" + str(args[1] if len(args) > 1 else ""))
        return await stock(self, fn, *args, **kwargs)

    try:
        async with database.engine.begin() as connection:
            await connection.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with database.engine.begin() as connection:
            await connection.execute(sa.text("INSERT INTO t (v) VALUES ('a'), ('b')"))
            await connection.execute(sa.text("UPDATE t SET v = v || '!'"))
            rows = (await connection.execute(sa.text("SELECT v FROM t ORDER BY id"))).scalars()
            assert list(rows) == ["a!", "b!"]
        monkeypatch.undo()
    finally:
        await database.dispose()
    assert [c.split(":")[0] for c in crossings] == ["_run", "commit"]  # no rollback after it
    assert "BEGIN IMMEDIATE" in crossings[0]
