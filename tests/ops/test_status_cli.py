"""`mic status` and the metrics of `mic scheduler`, as a technician runs them: real processes."""

from __future__ import annotations

import asyncio
import json
import signal

import httpx

from app.core import clock
from app.core.db import Database
from app.sources.models import RunStatus
from tests.alerts.conftest import publish, register
from tests.conftest import ENGINE, Tokens, free_port
from tests.ops.runs import finished_run
from tests.ops.scrapes import Samples, parse, value
from tests.test_cli import MIC, mic, mic_env

DEADLINE_S = 60


async def test_status_shows_the_outbox_sms_jobs_leaders_and_schema(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, database_url: str
) -> None:
    for n in range(2):
        await register(client, tokens, name=f"P{n}", locale="en", phone=f"+95925000020{n}")
    await publish(client, tokens, "12600")
    async with database.session() as s:
        s.add(finished_run("housekeeping.leads", RunStatus.FAILED, clock.utcnow()))

    screen = mic("status", database_url=database_url)
    assert screen.returncode == 0, screen.stderr
    text = screen.stdout
    for title in ("leaders", "outbox", "SMS today", "inbound messages", "jobs"):
        assert title in text, text
    assert "schema: " in text and "up to date" in text
    assert "housekeeping.leads" in text and "failed" in text
    assert "2 queued" in text  # deliveries of the last 24 h, by status
    unknown = "unknown (SQLite: the process running it leads)"
    assert (unknown in text) == (ENGINE == "sqlite")
    assert ("nobody leads" in text) == (ENGINE == "postgresql")

    printed = mic("status", "--json", database_url=database_url)
    assert printed.returncode == 0, printed.stderr
    status = json.loads(printed.stdout)
    assert status["migrations"]["up_to_date"] is True
    outbox = {box["channel"]: box for box in status["facts"]["outbox"]}
    assert outbox["sms"]["waiting"]["queued"] == 2
    assert outbox["sms"]["oldest_due_s"] >= 0
    assert outbox["telegram"]["oldest_due_s"] is None
    sms = {day["country"]: day for day in status["facts"]["sms_today"]}
    assert sms["MM"]["budget"] == "50" and sms["MM"]["left"] == "50"
    [run] = status["facts"]["last_runs"]
    assert (run["job"], run["status"], run["failing_since"] is not None) == (
        "housekeeping.leads",
        "failed",
        True,
    )
    assert [leader["role"] for leader in status["leaders"]] == ["scheduler", "telegram"]


def test_status_on_a_database_needing_migrations_says_so(empty_database_url: str) -> None:
    printed = mic("status", "--json", database_url=empty_database_url)
    assert printed.returncode == 0, printed.stderr
    status = json.loads(printed.stdout)
    assert status["facts"] is None
    assert status["migrations"]["current"] is None and not status["migrations"]["up_to_date"]
    screen = mic("status", database_url=empty_database_url)
    assert "run `mic db upgrade`" in screen.stdout


async def test_mic_scheduler_serves_its_metrics_on_the_metrics_port(
    database_url: str, seeded: None
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *MIC,
        "scheduler",
        env=mic_env(database_url, MIC_METRICS_PORT=str(port), MIC_PROCESS_NAME="sched-1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        samples = await _scrape_when_leading(process, port)
        assert value(samples, "mic_leader", role="scheduler", process="sched-1") == 1
        assert value(samples, "mic_outbox_deliveries", channel="sms", status="queued") == 0
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(DEADLINE_S):
            _, err = await process.communicate()
    assert process.returncode in (0, 130), err
    assert b"Traceback" not in err, err.decode()


async def _scrape_when_leading(process: asyncio.subprocess.Process, port: int) -> Samples:
    """The first scrape of the process that shows it leads (it starts, then takes the lead)."""
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper,
        asyncio.timeout(DEADLINE_S),
    ):
        while True:
            assert process.returncode is None, await process.communicate()
            try:
                samples = parse((await scraper.get("/metrics")).text)
            except httpx.TransportError:  # not listening yet
                samples = {}
            if value(samples, "mic_leader", role="scheduler") == 1:
                return samples
            await asyncio.sleep(0.05)
