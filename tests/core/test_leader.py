"""Leader election (app/core/leader.py): one leader at a time, and another takes over within
seconds when it stops, dies, loses its database session or is cut off from the database."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import IO

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.core.db import Database, parse_database_url
from app.core.leader import SCHEDULER_LOCK, TELEGRAM_POLLING_LOCK, Leadership
from tests.conftest import ENGINE, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.skipif(ENGINE != "postgresql", reason="leader election is PostgreSQL's")
ENGINES = ["sqlite", pytest.param("postgresql", marks=postgres_only)]


def new_lock_id() -> int:
    """A lock of this test's own: other test runs may share the server."""
    return random.randint(2**40, 2**62)


async def wait_for(condition: Callable[[], object], what: str, within: float = 15.0) -> None:
    try:
        async with asyncio.timeout(within):
            while not condition():  # noqa: ASYNC110 - the state lives in other tasks
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


class Candidate:
    """A Leadership, running in a task, that records its elections in a shared journal."""

    def __init__(self, label: str, leadership: Leadership, journal: list[str]) -> None:
        self.label = label
        self.leadership = leadership
        self.journal = journal
        self.failures_left = 0  # on_elected raises this many times
        self.task: asyncio.Task[None] | None = None

    async def on_elected(self) -> None:
        self.journal.append(f"{self.label} elected")
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("the work could not start")

    async def on_deposed(self) -> None:
        self.journal.append(f"{self.label} deposed")

    def start(self) -> None:
        self.task = asyncio.create_task(self.leadership.run(self.on_elected, self.on_deposed))

    async def stop(self) -> None:
        self.leadership.stop()
        assert self.task is not None
        async with asyncio.timeout(15):
            await self.task

    def count(self, event: str) -> int:
        return self.journal.count(f"{self.label} {event}")


@asynccontextmanager
async def candidates(
    url: str,
    *settings: dict[str, float],
    lock_id: int | None = None,
    journal: list[str] | None = None,
    labels: str = "AB",
) -> AsyncIterator[list[Candidate]]:
    """One Candidate per settings, each on a Database (an engine) of its own, all seeking the
    same lock; stopped and disposed afterwards."""
    lock_id = new_lock_id() if lock_id is None else lock_id
    journal = [] if journal is None else journal
    databases = [Database(url) for _ in settings]
    made = [
        Candidate(
            labels[i],
            Leadership(database, lock_id=lock_id, name=f"test lock {labels[i]}", **s),
            journal,
        )
        for i, (database, s) in enumerate(zip(databases, settings, strict=True))
    ]
    try:
        yield made
    finally:
        for candidate in made:
            if candidate.task is not None and not candidate.task.done():
                await candidate.stop()
        for database in databases:
            await database.dispose()


def database_url(engine: str, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leader.db'}" if engine == "sqlite" else POSTGRES_URL


async def lock_holders(lock_id: int) -> list[int]:
    """The backends holding the advisory lock (a bigint key: objid is its low 32 bits)."""
    async with await psycopg.AsyncConnection.connect(conninfo(POSTGRES_URL)) as connection:
        cursor = await connection.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s::oid AND objid = %s::oid AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (lock_id >> 32, lock_id & 0xFFFFFFFF),
        )
        return [row[0] for row in await cursor.fetchall()]


def conninfo(url: str) -> str:
    return parse_database_url(url).sync_url.set(drivername="postgresql").render_as_string(False)


def test_lock_ids_are_distinct_bigints() -> None:
    assert TELEGRAM_POLLING_LOCK == 0x6D6963_0002  # what the releases before this one used
    assert SCHEDULER_LOCK != TELEGRAM_POLLING_LOCK
    for lock_id in (SCHEDULER_LOCK, TELEGRAM_POLLING_LOCK):
        assert -(2**63) <= lock_id < 2**63
    with pytest.raises(ValueError, match="bigint"):
        Leadership(Database("sqlite:///:memory:"), lock_id=2**63, name="too big")


async def test_on_sqlite_the_one_process_leads_at_once(tmp_path: Path) -> None:
    async with candidates(database_url("sqlite", tmp_path), {}) as (a,):
        a.start()
        await wait_for(lambda: a.leadership.is_leader, "the election", within=1)
        assert a.journal == ["A elected"]
        assert a.leadership.backend_pid is None  # no lock, no connection
        assert a.task is not None and not a.task.done()

        await a.stop()
        assert a.journal == ["A elected", "A deposed"]
        assert not a.leadership.is_leader


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_failed_start_steps_down_and_tries_again(
    engine: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mic.leader")
    async with candidates(database_url(engine, tmp_path), {"retry_s": 0.05}) as (a,):
        a.failures_left = 2
        a.start()
        await wait_for(lambda: a.count("elected") == 3 and a.leadership.is_leader, "a good start")
        assert a.journal == ["A elected", "A deposed"] * 2 + ["A elected"]
        assert caplog.text.count("taking the lead failed") == 2
        if engine == "postgresql":
            assert await lock_holders(a.leadership.lock_id) == [a.leadership.backend_pid]


@pytest.mark.parametrize("engine", ENGINES)
async def test_cancelling_run_steps_down_and_releases_the_lock(engine: str, tmp_path: Path) -> None:
    url = database_url(engine, tmp_path)
    async with candidates(url, {}, {"retry_s": 0.05}) as (a, b):
        a.start()
        await wait_for(lambda: a.leadership.is_leader, "A's election")
        assert a.task is not None
        a.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a.task
        assert a.journal == ["A elected", "A deposed"]
        assert not a.leadership.is_leader
        if engine == "postgresql":
            assert await lock_holders(a.leadership.lock_id) == []
        b.start()
        await wait_for(lambda: b.leadership.is_leader, "B's election")


async def test_an_unreachable_database_is_retried_not_fatal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="mic.leader")
    # Nothing listens on port 1: every attempt is refused at once.
    async with candidates("postgresql://postgres@127.0.0.1:1/test", {"retry_s": 0.05}) as (a,):
        a.start()
        await wait_for(lambda: "still cannot seek the lead" in caplog.text, "a second attempt")
        assert a.task is not None and not a.task.done()
        assert not a.leadership.is_leader
        assert a.journal == []
        assert caplog.text.count("cannot seek the lead, trying again") == 1  # warned once
        await a.stop()


@postgres_only
async def test_one_leader_and_a_take_over_when_it_stops(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mic.leader")
    fast = {"retry_s": 0.1, "heartbeat_s": 0.2}
    async with candidates(POSTGRES_URL, fast, fast) as (a, b):
        a.start()
        await wait_for(lambda: a.leadership.is_leader, "A's election")
        b.start()
        await wait_for(
            lambda: caplog.text.count("test lock B: another process leads") >= 3,
            "B's attempts",
        )
        assert a.leadership.is_leader and not b.leadership.is_leader
        assert a.journal == ["A elected"]
        held_by = a.leadership.backend_pid
        assert held_by is not None
        assert await lock_holders(a.leadership.lock_id) == [held_by]

        await a.stop()
        assert a.journal[:2] == ["A elected", "A deposed"]
        await wait_for(lambda: b.leadership.is_leader, "B's election", within=5)
        assert a.journal == ["A elected", "A deposed", "B elected"]
        assert await lock_holders(a.leadership.lock_id) == [b.leadership.backend_pid]
        assert b.leadership.backend_pid != held_by


@postgres_only
async def test_a_leader_whose_session_ends_is_deposed(caplog: pytest.LogCaptureFixture) -> None:
    """The database restarted, or an administrator ended the session: the lock went with it."""
    caplog.set_level(logging.INFO, logger="mic.leader")
    # A waits long before trying again, so that the take-over is B's.
    async with candidates(POSTGRES_URL, {"retry_s": 30, "heartbeat_s": 0.2}, {"retry_s": 0.1}) as (
        a,
        b,
    ):
        a.start()
        await wait_for(lambda: a.leadership.is_leader, "A's election")
        b.start()
        pid = a.leadership.backend_pid
        assert pid is not None
        async with await psycopg.AsyncConnection.connect(conninfo(POSTGRES_URL)) as admin:
            cursor = await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            assert await cursor.fetchone() == (True,)

        await wait_for(lambda: b.leadership.is_leader, "B's election", within=10)
        # The lock went with the session: B may lead before A's next heartbeat tells A.
        await wait_for(lambda: a.count("deposed") == 1, "A stepping down", within=2)
        assert sorted(a.journal) == ["A deposed", "A elected", "B elected"]
        assert a.journal[0] == "A elected"
        assert not a.leadership.is_leader
        assert a.leadership.backend_pid is None
        assert "this process no longer leads test lock A: its database connection failed" in (
            caplog.text
        )
        assert await lock_holders(a.leadership.lock_id) == [b.leadership.backend_pid]


class CuttableProxy:
    """A TCP relay to the PostgreSQL server that can stop relaying, as a cut network does:
    nothing is closed, the bytes just stop arriving."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        for writer in self._writers:
            writer.close()
            with suppress(OSError):
                await writer.wait_closed()
        await server.wait_closed()

    def cut(self) -> None:
        self._flowing.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        self._writers.append(writer)
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers.append(up_writer)
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(OSError):
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()


@postgres_only
async def test_a_leader_cut_off_by_the_network_steps_down_before_the_take_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server frees the lock of a session that stopped talking (idle_session_timeout), and
    the leader has stepped down before, on its own: never two leaders."""
    caplog.set_level(logging.INFO, logger="mic.leader")
    server = make_url(POSTGRES_URL)
    lock_id, journal = new_lock_id(), []
    async with CuttableProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        via_proxy = server.set(host="127.0.0.1", port=proxy.port)
        async with (
            candidates(
                via_proxy.render_as_string(hide_password=False),
                {"retry_s": 30, "heartbeat_s": 0.5},
                lock_id=lock_id,
                journal=journal,
            ) as (a,),
            candidates(
                POSTGRES_URL, {"retry_s": 0.1}, lock_id=lock_id, journal=journal, labels="B"
            ) as (b,),
        ):
            a.start()
            await wait_for(lambda: a.leadership.is_leader, "A's election")
            # The first heartbeat, after the election, sets the session's timeout.
            await wait_for_heartbeat(a.leadership)
            b.start()
            proxy.cut()
            cut_at = time.monotonic()
            await wait_for(lambda: a.count("deposed") == 1, "A stepping down", within=5)
            deposed_after = time.monotonic() - cut_at
            await wait_for(lambda: b.leadership.is_leader, "B's election", within=20)
            elected_after = time.monotonic() - cut_at
            print(f"\ncut: A stepped down {deposed_after:.1f} s, B led {elected_after:.1f} s after")
            assert journal == ["A elected", "A deposed", "B elected"]
            assert "test lock A: the database did not answer within 0.5 s" in caplog.text
            await proxy.close()  # lets A's hanging heartbeat end


HEARTBEAT_SETS_TIMEOUT = "SELECT set_config('idle_session_timeout', $1, false)"


async def wait_for_heartbeat(leadership: Leadership) -> None:
    async def last_query() -> str:
        async with await psycopg.AsyncConnection.connect(conninfo(POSTGRES_URL)) as connection:
            cursor = await connection.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s", (leadership.backend_pid,)
            )
            row = await cursor.fetchone()
            return "" if row is None else str(row[0])

    async with asyncio.timeout(10):
        while (await last_query()) not in ("SELECT 1", HEARTBEAT_SETS_TIMEOUT):  # noqa: ASYNC110 - another process's state
            await asyncio.sleep(0.05)


class LeaderProcess:
    """`python -m tests.core.leader_process`, its output lines collected by a thread."""

    def __init__(self, lock_id: int, log_path: Path, *options: str) -> None:
        self._log: IO[str] = log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.core.leader_process",
                POSTGRES_URL,
                str(lock_id),
                *options,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.log_path = log_path
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def said(self, word: str) -> int:
        return self.lines.count(f"{word} {self.process.pid}")

    def tried(self) -> int:
        """How many times it found the lock taken, from its log."""
        return self.log_path.read_text().count("another process leads")

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)
        self._reader.join(timeout=15)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._log.close()


@contextmanager
def two_processes(tmp_path: Path, *options: str) -> Iterator[list[LeaderProcess]]:
    lock_id = new_lock_id()
    started: list[LeaderProcess] = []
    try:
        for label in "AB":
            started.append(LeaderProcess(lock_id, tmp_path / f"{label}.log", *options))
        yield started
    finally:
        for process in started:
            process.close()


def wait_until(condition: Callable[[], bool], what: str, within: float, logs: list[Path]) -> float:
    """How long the condition took to hold; fails with the processes' logs after `within`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            output = "\n".join(f"--- {path.name}\n{path.read_text()}" for path in logs)
            raise AssertionError(f"timed out waiting for {what}\n{output}")
        time.sleep(0.01)
    return time.monotonic() - started


@postgres_only
def test_a_killed_leader_process_is_replaced(tmp_path: Path) -> None:
    with two_processes(tmp_path) as processes:
        logs = [p.log_path for p in processes]
        wait_until(lambda: any(p.said("elected") for p in processes), "a leader", 30, logs)
        leaders = [p for p in processes if p.said("elected")]
        assert len(leaders) == 1
        leader = leaders[0]
        follower = processes[1 - processes.index(leader)]
        wait_until(lambda: follower.tried() >= 2, "the other process's attempts", 30, logs)
        assert follower.said("elected") == 0 and leader.said("elected") == 1

        leader.signal(signal.SIGKILL)
        took = wait_until(lambda: follower.said("elected") == 1, "the take-over", 15, logs)
        print(f"\nSIGKILL: the other process led {took:.2f} s after the leader was killed")
        assert leader.process.wait(timeout=15) == -signal.SIGKILL
        assert follower.said("deposed") == 0


@postgres_only
def test_a_frozen_leader_process_is_replaced_and_steps_down_when_it_wakes(
    tmp_path: Path,
) -> None:
    """A stopped (or cut off) process no longer answers: the server ends its session after
    idle_session_timeout (5 s here), and the process, when it runs again, steps down."""
    with two_processes(tmp_path, "--retry", "0.5", "--heartbeat", "0.5") as processes:
        logs = [p.log_path for p in processes]
        wait_until(lambda: any(p.said("elected") for p in processes), "a leader", 30, logs)
        leader = next(p for p in processes if p.said("elected"))
        follower = processes[1 - processes.index(leader)]

        leader.signal(signal.SIGSTOP)
        try:
            took = wait_until(lambda: follower.said("elected") == 1, "the take-over", 20, logs)
            print(f"\nSIGSTOP: the other process led {took:.2f} s after the leader froze")
            assert leader.said("deposed") == 0  # it cannot know yet
        finally:
            leader.signal(signal.SIGCONT)
        wait_until(lambda: leader.said("deposed") == 1, "the old leader stepping down", 15, logs)
        assert follower.said("deposed") == 0
        assert leader.said("elected") == 1
