"""One leader per deployment for the work only one process may do at a time: the APScheduler
scheduler (its job store cannot be shared between processes) and Telegram polling (Telegram
serves one poller per token).

On PostgreSQL the leader is the process holding a session-level advisory lock on a connection of
its own. The other processes try to take the lock every few seconds, so when the leader dies
(its connection goes, and the lock with it) another takes over within seconds. The leader checks
its connection every few seconds too, and steps down as soon as it fails or stops answering,
because by then it can no longer vouch for the lock: the database restarted, an administrator
ended the session, or the network is cut.

That last case needs the server's help: a server cut off from its client keeps the session,
and so the lock, until it notices, which TCP alone can take hours. So the leader's session has
an `idle_session_timeout` (PostgreSQL 14 and later) a few heartbeats long: a leader that stops
talking, frozen or cut off, loses the lock on the server after that time, and it has stepped down
on its side before (its own check gives up after two heartbeats), so two leaders never overlap.

On SQLite there is one process by design: it leads at once, without a lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import psycopg.errors

from app.core.db import Database, describe_connection_error

log = logging.getLogger("mic.leader")

# Advisory lock ids: any 64-bit constants, the same for every process of a deployment, and
# distinct from MIC's only other advisory lock, the migrations' (app/core/migrations.py).
# 0x6D6963_0001 belonged to a dispatcher lock that no longer exists; it stays unused so that a
# process of an older release never shares a lock with this one.
TELEGRAM_POLLING_LOCK = 0x6D6963_0002
SCHEDULER_LOCK = 0x6D6963_0003
# The roles by the name metrics and `mic status` give them.
ROLES = {"scheduler": SCHEDULER_LOCK, "telegram": TELEGRAM_POLLING_LOCK}

CONNECT_TIMEOUT_S = 5  # libpq's connect_timeout: whole seconds, at least 2
ATTEMPT_TIMEOUT_S = 10.0  # connecting and asking for the lock, together
# A heartbeat that stopped answering is cancelled; psycopg then asks the server to cancel the
# query (up to 5 s) and waits for it to end (up to 5 s more) before it gives up on the connection.
PROBE_CLEANUP_S = 12.0

Callback = Callable[[], Awaitable[None]]


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    """A heartbeat left behind may fail after nobody waits for it: that is expected, not news."""
    if not task.cancelled():
        task.exception()


class Leadership:
    """Leader election through a PostgreSQL advisory lock, with a heartbeat.

    `run()` seeks the lead until `stop()`: when this process gets it, `on_elected` is awaited;
    when it loses it (stop(), cancellation, a failed heartbeat, or on_elected failing),
    `on_deposed` is awaited, so on_deposed must cope with a start that failed half-way. While
    leading, this process holds a connection of its own; releasing the lock is closing it.

    A Leadership runs once: after stop(), run() returns at once.
    """

    def __init__(
        self,
        database: Database,
        *,
        lock_id: int,
        name: str,
        holder: str = "mic",
        retry_s: float = 2.0,
        heartbeat_s: float = 2.0,
    ) -> None:
        if not -(2**63) <= lock_id < 2**63:
            raise ValueError(f"lock_id {lock_id} does not fit a PostgreSQL bigint")
        if retry_s <= 0 or heartbeat_s <= 0:
            raise ValueError("retry_s and heartbeat_s must be positive")
        self.database = database
        self.lock_id = lock_id
        self.name = name
        # The lock's connection carries it as its application_name, so the database itself says
        # which process leads (app/ops/leaders.py reads it beside the lock).
        self.holder = holder
        self.retry_s = retry_s
        self.heartbeat_s = heartbeat_s
        # The server ends the leader's session after this long without a heartbeat; the leader
        # itself gives up after at most two heartbeats, well before.
        self.session_timeout_s = max(4 * heartbeat_s, 5.0)
        self._conninfo = (
            None
            if database.url.is_sqlite
            else database.url.sync_url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
        )
        self._stopping = asyncio.Event()
        self._running = False
        self._is_leader = False
        self._backend_pid: int | None = None
        self._probe: asyncio.Task[Any] | None = None
        self._unreachable = False

    @property
    def is_leader(self) -> bool:
        return self._is_leader

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend process holding the lock while this process holds it."""
        return self._backend_pid

    def stop(self) -> None:
        """Make run() return soon: it steps down first (on_deposed, then the lock goes).
        Call it from the event loop's thread."""
        self._stopping.set()

    async def run(self, on_elected: Callback, on_deposed: Callback) -> None:
        """Seek the lead, lead, step down, seek it again... until stop(). Never raises for
        the database or the callbacks (logged); cancelling it steps down too."""
        if self._running:
            raise RuntimeError(f"{self.name}: Leadership.run() is already running")
        self._running = True
        try:
            while not self._stopping.is_set():
                if self._conninfo is None:  # SQLite: one process by design
                    pause = await self._lead(None, on_elected, on_deposed)
                else:
                    connection = await self._take_lock()
                    pause = (
                        True
                        if connection is None
                        else await self._lead(connection, on_elected, on_deposed)
                    )
                if pause:
                    await self._pause(self.retry_s)
        finally:
            self._running = False

    async def _pause(self, seconds: float) -> bool:
        """Wait `seconds`, or less if stop() is called; whether it was."""
        try:
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        except TimeoutError:
            pass
        return self._stopping.is_set()

    async def _take_lock(self) -> psycopg.AsyncConnection[Any] | None:
        """A new connection holding the lock, or None (another process holds it, or the
        database cannot be reached: logged)."""
        assert self._conninfo is not None
        connection: psycopg.AsyncConnection[Any] | None = None
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    application_name=self.holder,
                )
                cursor = await connection.execute(
                    "SELECT pg_try_advisory_lock(%s::bigint), pg_backend_pid()", (self.lock_id,)
                )
                row = await cursor.fetchone()
        except Exception as exc:
            if connection is not None:
                await connection.close()
            self._report_unreachable(exc)
            return None
        except BaseException:
            if connection is not None:
                await connection.close()
            raise
        if self._unreachable:
            self._unreachable = False
            log.info("%s: the database answers again", self.name)
        if row is None or not row[0] or self._stopping.is_set():
            await connection.close()  # the lock, if it was taken, goes with the session
            if not self._stopping.is_set():
                log.debug("%s: another process leads", self.name)
            return None
        self._backend_pid = int(row[1])
        return connection

    def _report_unreachable(self, exc: BaseException) -> None:
        if isinstance(exc, TimeoutError):
            reason = f"no answer within {ATTEMPT_TIMEOUT_S:g} s"
        else:
            reason = describe_connection_error(exc, self.database.url)
        if self._unreachable:  # said once; the retries every few seconds would flood the log
            log.debug("%s: still cannot seek the lead: %s", self.name, reason)
        else:
            self._unreachable = True
            log.warning(
                "%s: cannot seek the lead, trying again every %g s: %s",
                self.name,
                self.retry_s,
                reason,
            )

    async def _lead(
        self,
        connection: psycopg.AsyncConnection[Any] | None,
        on_elected: Callback,
        on_deposed: Callback,
    ) -> bool:
        """Lead until stop() or the lock is lost, then step down and release the lock;
        whether to wait before seeking the lead again."""
        self._is_leader = True
        try:
            log.info("this process leads %s", self.name)
            try:
                await on_elected()
            except Exception:
                log.exception(
                    "%s: taking the lead failed; stepping down, trying again in %g s",
                    self.name,
                    self.retry_s,
                )
                return True
            if connection is None:
                await self._stopping.wait()
                return False
            # The first heartbeat also has the server end the session if the heartbeats stop.
            alive = await self._heartbeat(
                connection,
                "SELECT set_config('idle_session_timeout', %s, false)",
                (str(round(self.session_timeout_s * 1000)),),
            )
            while alive:
                if await self._pause(self.heartbeat_s):
                    return False
                alive = await self._heartbeat(connection, "SELECT 1")
            # A deposed leader lets the others try first.
            return True
        finally:
            try:
                await self._step_down(on_deposed)
            finally:
                if connection is not None:
                    await self._release(connection)

    async def _heartbeat(
        self,
        connection: psycopg.AsyncConnection[Any],
        query: str,
        params: tuple[Any, ...] | None = None,
    ) -> bool:
        """Whether the lock's connection answered within heartbeat_s (logged when not).

        The query runs in a task of its own: a connection that stopped answering is not waited
        for (psycopg takes up to 10 s to give up on a cancelled query), so this process steps
        down within two heartbeats, before the server's idle_session_timeout frees the lock.
        """
        probe = asyncio.create_task(connection.execute(query, params))
        probe.add_done_callback(_retrieve_exception)
        self._probe = probe
        await asyncio.wait({probe}, timeout=self.heartbeat_s)
        if not probe.done():
            log.warning(
                "this process no longer leads %s: the database did not answer within %g s",
                self.name,
                self.heartbeat_s,
            )
            return False
        self._probe = None
        error = probe.exception()
        if error is None:
            return True
        if isinstance(error, psycopg.errors.UndefinedObject):  # no idle_session_timeout (< 14)
            log.info(
                "%s: this PostgreSQL has no idle_session_timeout; a leader cut off by the "
                "network keeps the lock until the server notices",
                self.name,
            )
            return True
        log.warning(
            "this process no longer leads %s: its database connection failed: %s",
            self.name,
            describe_connection_error(error, self.database.url),
        )
        return False

    async def _step_down(self, on_deposed: Callback) -> None:
        if not self._is_leader:
            return
        self._is_leader = False
        try:
            await on_deposed()
        except Exception:
            log.exception("%s: stepping down failed", self.name)

    async def _release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """Close the lock's connection: the server frees the lock with the session."""
        self._backend_pid = None
        probe, self._probe = self._probe, None
        try:
            if probe is not None and not probe.done():
                probe.cancel()
                await asyncio.wait({probe}, timeout=PROBE_CLEANUP_S)
        finally:
            await connection.close()
        log.info("%s: this process released the lead", self.name)
