"""A multi-process deployment on one PostgreSQL database, as the survival bench runs it: two
`mic run` (API, SMS webhooks and a dispatcher each) and one `mic scheduler`, all real
processes sending to the fake SMS gateway (tests/fakes/gateway.py, Kannel's sendsms), each
of which can be killed and started again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.core.config import Settings
from app.core.db import Database
from app.ops.leaders import current_leaders
from bench.dispatch import _free_port

SECRET = "survival-kannel-secret"  # noqa: S105 - a throwaway deployment of the bench
MIC = [sys.executable, "-c", "from app.cli import cli; cli()"]


def environment(database_url: str, gateway_url: str) -> dict[str, str]:
    """What every process of the deployment is configured with. A short lease, so that what a
    killed dispatcher held goes out again within seconds rather than two minutes."""
    return {
        "MIC_DATABASE_URL": database_url,
        "MIC_LOG_LEVEL": "WARNING",
        "MIC_SMS_GATEWAY": "kannel",
        "MIC_KANNEL_SENDSMS_URL": f"{gateway_url}/cgi-bin/sendsms",
        "MIC_KANNEL_USERNAME": "mic",
        "MIC_SMS_WEBHOOK_SECRET": SECRET,
        # Every question comes from a new number; the storm brake is not what is measured.
        "MIC_SMS_REPLIES_PER_MINUTE": "1000000",
        "MIC_SMS_DAILY_BUDGET": '{"MM": 100000, "KH": 100000, "LA": 100000, "VN": 100000}',
        # Stated here, as the in-flight window a killed dispatcher may repeat is counted by it.
        "MIC_DISPATCH_CONCURRENCY": str(Settings.model_fields["dispatch_concurrency"].default),
        "MIC_DISPATCH_LEASE_S": "5",
        "MIC_DISPATCH_POLL_S": "0.2",
        "MIC_SOURCE_ALLOWED_HOSTS": "127.0.0.1",
        "MIC_TELEGRAM_MODE": "off",
    }


@dataclass
class Process:
    name: str  # also its MIC_PROCESS_NAME: the holder pg_locks shows when it leads
    command: str  # run | scheduler
    env: dict[str, str]
    logs: Path
    port: int = field(default_factory=_free_port)  # the API, or the scheduler's metrics
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def dispatches(self) -> bool:
        return self.command == "run"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env, "MIC_PROCESS_NAME": self.name}
        if self.command == "run":
            argv = [*MIC, "run", "--port", str(self.port)]
        else:
            argv = [*MIC, "scheduler"]
            env["MIC_METRICS_PORT"] = str(self.port)
        self.starts += 1
        with (self.logs / f"{self.name}.log").open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
                argv, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        assert self.popen is not None
        os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def terminate(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float) -> None:
        """After terminate(): a process that takes longer than `timeout` is killed."""
        if self.popen is not None:
            try:
                self.popen.wait(timeout=max(0.1, timeout))
            except subprocess.TimeoutExpired:
                self.kill()

    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    async def ready(self, client: httpx.AsyncClient) -> bool:
        """Serves /readyz (`mic run`), or its metrics (`mic scheduler`, which has no API)."""
        path = "/readyz" if self.command == "run" else "/metrics"
        try:
            return (await client.get(f"{self.url}{path}", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False


class Gateway:
    """The fake SMS gateway, in a process of its own, and a mirror of what it accepted."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.arrivals: list[tuple[int, str]] = []
        self.counts: Counter[int] = Counter()
        self._client = httpx.AsyncClient(base_url=self.url, timeout=30)
        self._popen: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self._popen = subprocess.Popen(  # noqa: S603, ASYNC220 - our own module, fixed arguments
            [sys.executable, "-m", "tests.fakes.gateway", str(self.port), "0", "0"]
        )
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                await self._client.get("/stats")
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("the fake gateway did not start")

    async def close(self) -> None:
        await self._client.aclose()
        if self._popen is not None:
            self._popen.terminate()
            self._popen.wait()

    async def refresh(self) -> None:
        """Fetch what arrived since the last call."""
        new = (await self._client.get(f"/arrivals?from={len(self.arrivals)}")).json()
        for delivery, to in new:
            self.arrivals.append((delivery, to))
            self.counts[delivery] += 1

    async def set_down(self, down: bool) -> None:
        await self._client.post("/down" if down else "/up")


class Deployment:
    def __init__(self, database_url: str, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.database = Database(database_url)
        self.processes = [
            Process("run-a", "run", env, logs),
            Process("run-b", "run", env, logs),
            Process("scheduler", "scheduler", env, logs),
        ]
        self.client = httpx.AsyncClient(timeout=30)

    def by_name(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    @property
    def apis(self) -> list[Process]:
        return [p for p in self.processes if p.command == "run"]

    async def start(self) -> None:
        for process in self.processes:
            process.start()
        await self.wait_ready(self.processes, within=120)

    async def wait_ready(self, processes: list[Process], *, within: float) -> dict[str, float]:
        """Seconds until each process is ready; raises when one is not within `within`."""
        started = time.monotonic()
        waiting = {p.name: p for p in processes}
        took: dict[str, float] = {}
        while waiting:
            for name, process in list(waiting.items()):
                if process.exited() is not None:
                    raise RuntimeError(f"{name} exited ({process.exited()}): see {process.logs}")
                if await process.ready(self.client):
                    took[name] = round(time.monotonic() - started, 2)
                    del waiting[name]
            if time.monotonic() - started > within:
                raise RuntimeError(f"not ready within {within:g} s: {sorted(waiting)}")
            await asyncio.sleep(0.1)
        return took

    async def scheduler_leader(self) -> str | None:
        """The process holding the scheduler's lock, as the database says."""
        async with self.database.read_session() as session:
            leaders = await current_leaders(session)
        return next((leader.holder for leader in leaders if leader.role == "scheduler"), None)

    async def close(self) -> None:
        # Our connections first: a server stopping gracefully waits for its open connections.
        await self.client.aclose()
        await self.database.dispose()
        for process in self.processes:
            process.terminate()
        deadline = time.monotonic() + 20
        for process in self.processes:
            process.wait_stopped(deadline - time.monotonic())


@contextlib.asynccontextmanager
async def deployment(
    database_url: str, gateway: Gateway, logs: Path, settings: dict[str, str]
) -> AsyncIterator[Deployment]:
    """The three processes started and ready, configured with `settings` (MIC_ variables)
    besides what every deployment of the bench is."""
    env = environment(database_url, gateway.url) | settings
    running = Deployment(database_url, env, logs)
    try:
        await running.start()
        yield running
    finally:
        await running.close()
