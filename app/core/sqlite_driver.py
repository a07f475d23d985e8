"""SQLite for the async engine, without a thread hop for statements that cannot wait.

SQLAlchemy's aiosqlite adapter crosses to aiosqlite's thread four times for each statement
(open a cursor, execute, fetch the rows, close the cursor). Each crossing queues work for the
thread, wakes it, and resumes the request's whole chain of coroutines when it is done: measured,
440 µs for a `SELECT 1` that SQLite itself answers in 2 µs, and answering an SMS takes a dozen
statements. This driver does:

- on aiosqlite's thread, in one crossing, what may wait: BEGIN (the busy handler waits there
  for another process's write lock), COMMIT and ROLLBACK (COMMIT writes the WAL and sometimes
  checkpoints it, with fsync), and any statement outside a transaction that holds the write
  lock, such as the statements of app.core.db's read sessions, whose deferred transactions
  may wait for a moment while another connection checkpoints;
- on the calling thread, at once, every statement inside a transaction begun IMMEDIATE (or
  EXCLUSIVE), as app.core.db begins every transaction that may write: that transaction holds
  the database's write lock, so nothing it runs waits for another connection; it reads pages
  and writes to the WAL that COMMIT will flush.

The connection is opened with check_same_thread=False for that; it is still used by one
thread at a time, as each statement is awaited before the next. The rest (connecting, the
pool, errors, server-side cursors) is the stock aiosqlite dialect, registered here as
`sqlite+mic_aiosqlite`, which app.core.db uses for every SQLite URL.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import await_only

DRIVER = "mic_aiosqlite"

# What one statement leaves behind: the cursor's description, rowcount, lastrowid and rows.
_Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: the whole life of a sqlite3 cursor, rows fetched."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


_TAKES_WRITE_LOCK = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
_ENDS_TRANSACTION = ("COMMIT", "END", "ROLLBACK")  # not ROLLBACK TO, which keeps it open


def _starts(operation: str, words: tuple[str, ...]) -> bool:
    head = operation.lstrip()[:16].upper()
    return any(head.startswith(w) for w in words) and not head.startswith("ROLLBACK TO")


async def _at_once(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """_run() as an awaitable that completes without suspending: SQLAlchemy requires each
    statement of an async engine to await something, and this costs no trip through the loop."""
    return _run(connection, operation, parameters, many)


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor: a statement runs whole, here or in one call on the driver's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def _make_new_cursor(self, connection: Any) -> Any:
        return None  # the sqlite3 cursor lives and dies inside _run, on aiosqlite's thread

    def _aenter_cursor(self, cursor: Any) -> Any:
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        return None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _async_soft_close(self) -> None:
        return None  # nothing stays open: the rows are already here

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._one_hop(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._one_hop(operation, seq_of_parameters, many=True)

    def _one_hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._adapt_connection
        assert isinstance(connection, OneHopConnection)
        driver = self._connection
        try:
            if connection.write_locked and driver._conn.in_transaction:
                if _starts(operation, _ENDS_TRANSACTION):
                    connection.write_locked = False
                    outcome = await_only(self._on_thread(operation, parameters, many))
                else:
                    outcome = await_only(_at_once(driver._conn, operation, parameters, many))
            else:
                connection.write_locked = False
                outcome = await_only(self._on_thread(operation, parameters, many))
                if _starts(operation, _TAKES_WRITE_LOCK):
                    connection.write_locked = True
        except Exception as error:
            connection._handle_exception(error)
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = deque(rows)

    async def _on_thread(self, operation: Any, parameters: Any, many: bool) -> _Outcome:
        async with self._adapt_connection._execute_mutex:
            driver = self._connection
            result: _Outcome = await driver._execute(
                _run, driver._conn, operation, parameters, many
            )
            return result


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("write_locked",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.write_locked = False  # inside a transaction begun IMMEDIATE or EXCLUSIVE

    def commit(self) -> None:
        self.write_locked = False
        super().commit()

    def rollback(self) -> None:
        self.write_locked = False
        raw = self._connection._connection
        if raw is None or not raw.in_transaction:
            return  # nothing to undo (the pool rolls back every connection it takes back)
        super().rollback()


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        # Used from the event loop's thread too, one thread at a time (see the module's doc).
        kw["check_same_thread"] = False
        stock = super().connect(*arg, **kw)
        return OneHopConnection(self, stock._connection)


class OneHopDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDbapi:
        return OneHopDbapi(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneHopDialect")
