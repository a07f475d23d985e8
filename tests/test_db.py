from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from app.accounts.models import Role, StaffUser
from app.catalogue.models import Country
from app.core.db import Database, UTCDateTime, parse_database_url
from app.core.errors import ConfigurationError
from tests.conftest import ENGINE

sqlite_only = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite connection behaviour")


@pytest.mark.parametrize(
    ("raw", "async_driver", "sync_driver"),
    [
        ("sqlite:///./var/mic.db", "sqlite+mic_aiosqlite", "sqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+mic_aiosqlite", "sqlite"),
        ("postgresql://u:p@db:5432/mic", "postgresql+psycopg_async", "postgresql+psycopg"),
        ("postgres://u@db/mic", "postgresql+psycopg_async", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/mic", "postgresql+psycopg_async", "postgresql+psycopg"),
    ],
)
def test_database_urls_map_to_async_and_sync_drivers(
    raw: str, async_driver: str, sync_driver: str
) -> None:
    url = parse_database_url(raw)
    assert url.async_url.drivername == async_driver
    assert url.sync_url.drivername == sync_driver


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/mic", "unsupported scheme 'mysql'"),
        ("postgresql://user@host:5432", "names no database"),
        ("sqlite://host/file.db", "has no host"),
    ],
)
def test_malformed_database_urls_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_database_url(raw)


def test_display_hides_the_password() -> None:
    shown = parse_database_url("postgresql://mic:hunter2@db:5432/mic").display()
    assert "hunter2" not in shown
    assert shown.startswith("postgresql+psycopg://mic:***@db:5432/mic")


async def test_session_commits_on_success_and_rolls_back_on_error(database: Database) -> None:
    async with database.session() as s:
        s.add(StaffUser(name="kept", role=Role.VIEWER, countries=["MM"]))
    with pytest.raises(RuntimeError):
        async with database.session() as s:
            s.add(StaffUser(name="discarded", role=Role.VIEWER, countries=["MM"]))
            await s.flush()
            raise RuntimeError("boom")
    async with database.session() as s:
        names = (await s.exec(select(StaffUser.name))).all()
    assert names == ["kept"]


async def test_datetimes_come_back_aware_utc(database: Database) -> None:
    yangon = dt.datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Asia/Yangon"))
    async with database.session() as s:
        s.add(StaffUser(name="t", role=Role.ADMIN, countries=[], created_at=yangon))
    async with database.session() as s:
        stored = (await s.exec(select(StaffUser))).one().created_at
    assert stored.tzinfo is not None
    assert stored.utcoffset() == dt.timedelta(0)
    assert stored == yangon  # 09:30 at +06:30 is 03:00 UTC
    assert stored.hour == 3


def test_naive_datetimes_are_refused() -> None:
    column_type = UTCDateTime()
    with pytest.raises(ValueError, match="naive datetime"):
        column_type.process_bind_param(dt.datetime(2026, 1, 1), sa.dialects.sqlite.dialect())  # type: ignore[attr-defined]


@sqlite_only
async def test_sqlite_runs_in_wal_with_a_busy_timeout_and_foreign_keys(database: Database) -> None:
    async with database.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


@sqlite_only
async def test_sqlite_transactions_take_the_write_lock_when_they_begin(database_url: str) -> None:
    """With BEGIN IMMEDIATE a second transaction cannot even start while the first is open,
    so a claim (read rows, then mark them) can never interleave with another claim."""
    first = Database(database_url, busy_timeout_ms=50)
    second = Database(database_url, busy_timeout_ms=50)
    try:
        async with first.session() as s1:
            await s1.exec(select(Country))  # a read alone: a deferred BEGIN would not lock
            with pytest.raises(OperationalError, match="database is locked"):
                async with second.session() as s2:
                    await s2.exec(select(Country))
        # Once the first transaction ends, the second gets the lock.
        async with second.session() as s2:
            await s2.exec(select(Country))
    finally:
        await first.dispose()
        await second.dispose()


@sqlite_only
async def test_sqlite_writers_of_one_process_wait_their_turn_instead_of_failing(
    database_url: str,
) -> None:
    """Forty transactions at once, each yielding to the others while it holds the write lock,
    and no busy timeout at all: SQLite alone refuses all but one with "database is locked";
    queued on the process's writer turn, every one of them commits."""
    database = Database(database_url, busy_timeout_ms=0)

    async def write(i: int) -> None:
        async with database.session() as s:
            s.add(StaffUser(name=f"writer-{i}", role=Role.VIEWER, countries=["MM"]))
            await s.flush()
            await asyncio.sleep(0.001)  # let the other transactions try meanwhile

    try:
        await asyncio.gather(*(write(i) for i in range(40)))
        async with database.session() as s:
            names = set((await s.exec(select(StaffUser.name))).all())
    finally:
        await database.dispose()
    assert names == {f"writer-{i}" for i in range(40)}


async def test_foreign_keys_are_enforced(database: Database) -> None:
    from app.catalogue.models import Market, MarketKind

    with pytest.raises(sa.exc.IntegrityError):
        async with database.session() as s:
            s.add(
                Market(
                    slug="nowhere",
                    name="Nowhere",
                    kind=MarketKind.RETAIL,
                    country_code="ZZ",
                    timezone="UTC",
                    currency="USD",
                )
            )
            await s.flush()


async def test_a_read_session_runs_while_a_writer_of_the_same_process_holds_its_turn(
    database: Database,
) -> None:
    """On SQLite a write session holds the process's writer turn and the write lock until it
    ends; a read session needs neither, and sees what was committed before it began."""
    writing, finish = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        async with database.session() as s:
            s.add(StaffUser(name="uncommitted", role=Role.VIEWER, countries=["MM"]))
            await s.flush()
            writing.set()
            await finish.wait()

    writer = asyncio.create_task(write())
    try:
        await writing.wait()
        # A failure, not a hang, if the read queued behind the writer (WRITER_WAIT_S is 60 s).
        async with asyncio.timeout(10), database.read_session() as s:
            names = set((await s.exec(select(StaffUser.name))).all())
        assert "uncommitted" not in names
    finally:
        finish.set()
        await writer
    async with database.read_session() as s:
        assert "uncommitted" in set((await s.exec(select(StaffUser.name))).all())


@sqlite_only
async def test_sqlite_reads_do_not_wait_for_another_process_holding_the_write_lock(
    database_url: str,
) -> None:
    """Another process's write transaction blocks writers (busy after 50 ms here), and not
    readers: WAL gives them the last committed state."""
    first = Database(database_url, busy_timeout_ms=50)
    second = Database(database_url, busy_timeout_ms=50)
    try:
        async with first.session() as s1:
            s1.add(StaffUser(name="uncommitted", role=Role.VIEWER, countries=["MM"]))
            await s1.flush()
            with pytest.raises(OperationalError, match="database is locked"):
                async with second.session() as s2:
                    await s2.exec(select(Country))
            async with second.read_session() as s2:
                names = set((await s2.exec(select(StaffUser.name))).all())
                await s2.exec(select(Country))  # a second statement, in the same snapshot
        assert "uncommitted" not in names
    finally:
        await first.dispose()
        await second.dispose()


@sqlite_only
async def test_sqlite_read_sessions_refuse_to_write(database: Database) -> None:
    """A deferred transaction that writes would have to upgrade its lock, which deadlocks with
    another such transaction: so a read session cannot write at all."""
    with pytest.raises(OperationalError, match="attempt to write a readonly database"):
        async with database.read_session() as s:
            s.add(StaffUser(name="reader", role=Role.VIEWER, countries=["MM"]))
            await s.flush()
    async with database.read_session() as s:
        assert (await s.exec(select(StaffUser).where(StaffUser.name == "reader"))).first() is None
