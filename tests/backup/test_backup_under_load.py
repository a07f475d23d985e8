"""A backup taken from a running `mic run` while it stores inbound SMS, restored into another
database (SQLite: the online backup API; PostgreSQL: pg_dump and pg_restore into a new
database): every message the webhook had acknowledged before the backup began is in it. The
Kannel webhook answers 200 only once the message is committed, so an acknowledged message is a
committed row."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.core.db import parse_database_url, sync_engine
from bench.inbound import SECRET, server
from tests.conftest import ENGINE
from tests.core.test_leader import wait_for
from tests.test_cli import MIC, mic, mic_env

WRITERS = 8  # requests in flight
BEFORE = 200  # messages acknowledged before the backup starts
AFTER = 100  # and after it ended: the service went on writing throughout
LOAD_S = 180.0  # the longest any of these waits may take on a busy machine


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result
    return result.stdout


def stored_ids(url: str) -> set[str]:
    engine = sync_engine(parse_database_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT external_id FROM inbound_message"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


class Load:
    """Inbound SMS, each from its own number with its own gateway id, as fast as the service
    takes them, remembering when each was acknowledged."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.sent: set[str] = set()
        self.acknowledged: list[tuple[float, str]] = []
        self.failures: list[str] = []
        self._numbers = itertools.count(1)
        self._stop = asyncio.Event()

    async def writer(self) -> None:
        while not self._stop.is_set():
            n = next(self._numbers)
            message = f"load-{n}"
            self.sent.add(message)
            params = {
                "secret": SECRET,
                "from": f"959250{n:06d}",
                "to": "1234",
                "text": "mango muse",
                "coding": "0",
                "charset": "UTF-8",
                "id": message,
            }
            response = await self.client.get("/webhooks/sms/kannel/inbound", params=params)
            if response.status_code == 200:
                self.acknowledged.append((time.monotonic(), message))
            else:
                self.failures.append(f"{message}: {response.status_code} {response.text[:200]}")

    def stop(self) -> None:
        self._stop.set()


async def test_a_backup_of_a_running_service_holds_every_committed_row(
    empty_database_url: str, other_database_url: str, tmp_path: Path, pg_tools: None
) -> None:
    url = empty_database_url
    ok(mic("db", "upgrade", database_url=url))
    ok(mic("seed", "demo", database_url=url))
    path = tmp_path / "live.backup"

    async with server(url, tmp_path / "mic-run.log") as client:
        load = Load(client)
        writers = [asyncio.create_task(load.writer()) for _ in range(WRITERS)]
        try:
            await wait_for(lambda: len(load.acknowledged) >= BEFORE, "the first messages", LOAD_S)
            # Every message acknowledged until now was committed before the backup began.
            committed = {message for _, message in load.acknowledged}
            started = time.monotonic()
            backup = await asyncio.create_subprocess_exec(
                *MIC,
                "db",
                "backup",
                str(path),
                env=mic_env(url),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            output, errors = await backup.communicate()
            ended = time.monotonic()
            target = len(load.acknowledged) + AFTER
            await wait_for(lambda: len(load.acknowledged) >= target, "more messages", LOAD_S)
        finally:
            load.stop()
            await asyncio.gather(*writers)

    assert backup.returncode == 0, errors.decode()
    assert "written to" in output.decode()
    restored = ok(mic("db", "restore", str(path), database_url=other_database_url))
    assert "ready to serve" in restored
    in_backup = stored_ids(other_database_url)
    missing = committed - in_backup
    during = sum(1 for at, _ in load.acknowledged if started <= at <= ended)
    print(
        f"backup under load on {ENGINE}: {len(load.acknowledged)} rows written during the load "
        f"({during} while the backup ran), {len(committed)} committed before it began, "
        f"{len(in_backup)} rows in the backup, missing = {len(missing)}"
    )
    assert load.failures == []
    assert missing == set()
    assert in_backup <= load.sent  # nothing but what was sent, and nothing torn
    assert during > 0  # the service kept storing messages while the backup was taken
