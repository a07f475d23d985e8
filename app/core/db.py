"""Engines, sessions and column types shared by every table, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import functools
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import await_only
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import sqlite_driver
from app.core.errors import ConfigurationError, DatabaseUnavailable

if TYPE_CHECKING:
    from app.core.config import Settings

# Deterministic constraint names: Alembic's batch mode on SQLite can only alter what it can name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_SQLITE_SCHEMES = {
    "sqlite",
    "sqlite+aiosqlite",
    "sqlite+pysqlite",
    f"sqlite+{sqlite_driver.DRIVER}",
}
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg_async"}
_URL_HINT = "expected sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname"


@dataclass(frozen=True)
class DatabaseUrl:
    """One user-facing MIC_DATABASE_URL, with the driver URLs the async app and Alembic need."""

    async_url: URL
    sync_url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.async_url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or self.async_url.database in (None, "", ":memory:"):
            return None
        return Path(str(self.async_url.database))

    def display(self) -> str:
        """The URL with its password hidden, safe for logs and error messages."""
        return self.async_url.set(drivername=self.sync_url.drivername).render_as_string(
            hide_password=True
        )


def parse_database_url(raw: str) -> DatabaseUrl:
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(
            f"MIC_DATABASE_URL {raw!r} is not a database URL ({_URL_HINT})"
        ) from exc
    scheme = url.drivername
    if scheme in _SQLITE_SCHEMES:
        if url.host or url.port:
            raise ConfigurationError(
                f"MIC_DATABASE_URL {raw!r}: an SQLite URL has no host; use three slashes, "
                "sqlite:///./var/mic.db"
            )
        return DatabaseUrl(
            url.set(drivername=f"sqlite+{sqlite_driver.DRIVER}"), url.set(drivername="sqlite")
        )
    if scheme in _POSTGRES_SCHEMES:
        if not url.database:
            raise ConfigurationError(f"MIC_DATABASE_URL {raw!r} names no database ({_URL_HINT})")
        return DatabaseUrl(
            url.set(drivername="postgresql+psycopg_async"),
            url.set(drivername="postgresql+psycopg"),
        )
    raise ConfigurationError(
        f"MIC_DATABASE_URL uses the unsupported scheme {scheme!r} ({_URL_HINT})"
    )


def describe_connection_error(exc: BaseException, url: DatabaseUrl) -> str:
    """One line saying which database could not be reached and what the driver said."""
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else type(original).__name__
    return f"cannot use the database {url.display()}: {reason}"


def _configure_sqlite(
    engine: sa.Engine, busy_timeout_ms: int, *, foreign_keys: bool, read_only: bool = False
) -> None:
    """WAL for concurrent readers, and BEGIN IMMEDIATE so a transaction owns the write lock.

    SQLite ignores SELECT ... FOR UPDATE; taking the write lock when the transaction begins is
    what makes claiming outbox rows exclusive, and it avoids the deadlock of two deferred
    transactions that both try to upgrade from a read to a write lock.

    A read-only engine begins deferred instead: its transactions never take the write lock, so
    WAL lets them read a snapshot while another transaction writes. Its connections refuse to
    write (query_only), because a deferred transaction that writes would have to upgrade its
    lock, which is the deadlock above.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module, which would otherwise
        # emit its own deferred BEGIN lazily; the "begin" hook below emits ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _use_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(begin)


# How long a transaction of this process waits for its turn to write to SQLite. Turns are
# taken in order and held for milliseconds; only a transaction opened inside another one of the
# same task (which can never get the lock) would wait this long, and then fails.
WRITER_WAIT_S = 60.0
_TURN = "mic_writer_turn"


def _one_writer_at_a_time(engine: sa.Engine, wait_s: float) -> None:
    """Transactions of this process take turns for SQLite's write lock, in arrival order.

    Every transaction of the write engine begins IMMEDIATE, so SQLite lets one at a time in;
    the others would poll in its busy handler (sleeping ever longer, out of order) and fail with
    "database is locked" after busy_timeout under load. Queueing on an asyncio lock instead lets
    each transaction wait its turn without polling; busy_timeout still covers other processes
    (a `mic dispatcher` next to `mic run`). The turn is taken when the transaction begins, not
    when the session opens, so a session doing slow work before its first query holds nothing.
    """
    turn = asyncio.Lock()

    def _take_turn(connection: sa.Connection) -> None:
        if connection.info.get(_TURN):
            return  # a second transaction on a connection that kept its turn
        # Inside SQLAlchemy's greenlet: await_only suspends this transaction, not the loop.
        try:
            await_only(asyncio.wait_for(turn.acquire(), wait_s))
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked: no turn to write within {wait_s:.0f} s"
            ) from None
        connection.info[_TURN] = True

    event.listen(engine, "begin", _take_turn)

    @event.listens_for(engine.pool, "checkin")
    def _end_turn(_dbapi_connection: Any, record: Any) -> None:
        # On checkin, when the pool has committed or rolled back: releasing at the "commit"
        # event would let the next transaction in before this one's COMMIT has run.
        if record is not None and record.info.pop(_TURN, False):
            turn.release()


def _use_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch a new database file to WAL (the mode then persists in the file).

    Changing the journal mode needs an exclusive lock and SQLite reports "database is locked"
    at once, without its busy handler, while another connection uses the file: which happens
    when several processes open a brand-new database together. So: retry until the timeout.
    """
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


class Database:
    """The async engines and session factories of one process: `session()` for work that
    writes, `read_session()` for work that only reads."""

    def __init__(
        self,
        url: str | DatabaseUrl,
        *,
        busy_timeout_ms: int = 5000,
        pool_size: int = 5,
        connect_timeout_s: int = 5,
        echo: bool = False,
    ) -> None:
        self.url = url if isinstance(url, DatabaseUrl) else parse_database_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.url.is_sqlite:
            path = self.url.sqlite_path
            if path is None:
                kwargs["poolclass"] = StaticPool  # one shared in-memory database
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["connect_args"] = {"connect_timeout": connect_timeout_s}
            # A server restart drops pooled connections; a file is never "dropped", so SQLite
            # skips the extra round trip this costs on every checkout.
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.url.async_url, **kwargs)
        if self.url.is_sqlite:
            # First: the turn must be taken before _configure_sqlite's BEGIN IMMEDIATE runs.
            _one_writer_at_a_time(self.engine.sync_engine, WRITER_WAIT_S)
            _configure_sqlite(self.engine.sync_engine, busy_timeout_ms, foreign_keys=True)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # On an SQLite file, reads get connections of their own (see _configure_sqlite). An
        # in-memory database exists on its one connection only, so its reads share the writers'
        # turn (it serves no requests: `mic run` refuses a database that is not migrated).
        # PostgreSQL's reads already run beside its writes: its transactions stay as they were.
        self.read_engine = self.engine
        if self.url.is_sqlite and self.url.sqlite_path is not None:
            self.read_engine = create_async_engine(self.url.async_url, **kwargs)
            _configure_sqlite(
                self.read_engine.sync_engine, busy_timeout_ms, foreign_keys=True, read_only=True
            )
        self.read_sessionmaker = async_sessionmaker(
            self.read_engine, class_=AsyncSession, expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database of MIC_DATABASE_URL with the pool and timeouts the settings give."""
        return cls(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.db_pool_size,
            connect_timeout_s=settings.db_connect_timeout_s,
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The transaction boundary: commit when the block succeeds, roll back when it raises.

        Services below this boundary flush but never commit. On SQLite the transaction holds
        the write lock from its first statement to its end: keep it short, and never wait for
        the network inside it.
        """
        async with _transaction(self.sessionmaker) as session:
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads. On SQLite it takes no write lock and does not queue
        behind the writers: it reads the database as it was when its first statement ran, and
        a write in it fails ("attempt to write a readonly database"). On PostgreSQL it is the
        same transaction as session()'s."""
        async with _transaction(self.read_sessionmaker) as session:
            yield session

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(describe_connection_error(exc, self.url)) from exc

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


@asynccontextmanager
async def _transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def sync_engine(url: DatabaseUrl, *, busy_timeout_ms: int = 5000) -> sa.Engine:
    """A synchronous engine for Alembic, which stays synchronous by design."""
    if url.is_sqlite:
        path = url.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url.sync_url, connect_args={"timeout": busy_timeout_ms / 1000})
        # Batch migrations recreate tables; enforcing foreign keys mid-copy would break them.
        _configure_sqlite(engine, busy_timeout_ms, foreign_keys=False)
        return engine
    return sa.create_engine(url.sync_url, connect_args={"connect_timeout": 5})


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine.

    SQLite has no time zone type: values are stored as naive UTC and re-tagged on the way out.
    A naive datetime is refused rather than guessed at.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC datetimes only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> sa.Column[Any]:
    """A VARCHAR-backed enum column storing the values, so new members need no type migration."""
    return sa.Column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda members: [member.value for member in members],
            validate_strings=True,
        ),
        **kwargs,
    )


def core_table(model: Any) -> sa.Table:
    """The Core table of a SQLModel class, for set-based statements (INSERT ... SELECT)."""
    table: sa.Table = model.__table__
    return table


async def insert_missing(
    session: AsyncSession,
    table: sa.Table,
    values: dict[str, Any],
    keys: list[str],
    *,
    returning: sa.Column[Any] | None = None,
) -> Any:
    """Insert a row unless one with the same key exists (two processes may race to it), in one
    statement; with `returning`, the result holds that column of the new row, or no row."""
    dialect = session.get_bind().dialect.name
    return await run_core(session, _insert_missing(dialect, table, tuple(keys), returning), values)


@functools.cache
def _insert_missing(
    dialect: str, table: sa.Table, keys: tuple[str, ...], returning: sa.Column[Any] | None
) -> Any:
    """The statement of insert_missing(), built once per table: its values are bound when it
    runs (the SMS webhook stores every message with it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return statement.returning(returning) if returning is not None else statement


async def insert_new(session: AsyncSession, record: Any) -> Any:
    """Store a new ORM object with one INSERT ... RETURNING id, built once per table, and put
    it in the session as the row just written (as if read): what a flush does for one new row,
    at a fraction of its cost, for rows written on every inbound message. Like a flush, a
    column left None that has a default gets the default."""
    table = core_table(type(record))
    values = {}
    for column in table.columns:
        if column.primary_key:
            continue
        value = getattr(record, column.name)
        if value is None and (column.default is not None or column.server_default is not None):
            continue
        values[column.name] = value
    inserted = await run_core(session, _insert_new(table), values)
    record.id = int(inserted.scalar_one())
    make_transient_to_detached(record)
    session.add(record)
    return record


@functools.cache
def _insert_new(table: sa.Table) -> Any:
    return sa.insert(table).returning(table.c.id)


async def run_core(
    session: AsyncSession,
    statement: Any,
    parameters: Mapping[str, Any] | list[dict[str, Any]] | None = None,
) -> Any:
    """A Core statement (INSERT ... SELECT, bulk UPDATE, a plain SELECT of columns) in the
    session's transaction; sqlmodel's session.exec() is for ORM selects."""
    connection = await session.connection()
    return await connection.execute(statement, parameters)


# The Monday weeks are counted from: a date's week is its DayNumber // 7.
WEEKS_FROM: Final = dt.date(1970, 1, 5)


class DayNumber(sa.sql.functions.FunctionElement[int]):
    """Days from WEEKS_FROM to a date column, as an integer, on either engine: what grouping
    prices by week needs and SQL spells differently on each."""

    type = sa.Integer()
    inherit_cache = True
    name = "day_number"


@compiles(DayNumber, "sqlite")
def _day_number_sqlite(element: DayNumber, compiler: Any, **kw: Any) -> str:
    (day,) = element.clauses
    start = f"julianday('{WEEKS_FROM.isoformat()}')"
    return f"CAST(julianday({compiler.process(day, **kw)}) - {start} AS INTEGER)"


@compiles(DayNumber, "postgresql")
def _day_number_postgresql(element: DayNumber, compiler: Any, **kw: Any) -> str:
    (day,) = element.clauses
    return f"({compiler.process(day, **kw)} - DATE '{WEEKS_FROM.isoformat()}')"
