"""Ended console sessions are deleted by the hourly housekeeping; live ones stay."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import httpx
from sqlmodel import col, select

from app.accounts.models import ConsoleSession
from app.core.config import Settings
from app.core.db import Database
from app.sources.models import JobRun
from jobs.scheduler import HOUSEKEEPING_SCHEDULE, Scheduler
from tests.console.conftest import Users, sign_in
from tests.jobs.test_scheduler import wait_for

START = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


async def test_housekeeping_deletes_idle_and_old_sessions_only(
    app: object,
    users: Users,
    database: Database,
    settings: Settings,
    stand_at: Callable[[dt.datetime], None],
) -> None:
    assert "housekeeping.console_sessions" in HOUSEKEEPING_SCHEDULE
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    async def browser(name: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mic.test"
        )
        assert (await sign_in(client, name)).status_code == 303
        return client

    stand_at(START)
    idle = await browser(users.admin)
    stand_at(START + dt.timedelta(minutes=20))
    busy = await browser(users.cde_mm)
    stand_at(START + dt.timedelta(minutes=45))  # admin idle for 45 minutes, thida for 25
    assert (await busy.get("/console/account")).status_code == 200

    scheduler = Scheduler(database, settings)
    task = asyncio.create_task(scheduler.run())
    try:
        await wait_for(lambda: scheduler.running, "elected")
        await scheduler.run_housekeeping("housekeeping.console_sessions")
    finally:
        scheduler.stop()
        await task
    async with database.read_session() as session:
        left = (await session.exec(select(ConsoleSession))).all()
        run = (
            await session.exec(
                select(JobRun)
                .where(JobRun.job == "housekeeping.console_sessions")
                .order_by(col(JobRun.id).desc())
            )
        ).first()
    assert len(left) == 1
    assert run is not None and run.updated == 1
    assert (await busy.get("/console/account")).status_code == 200
    assert (await idle.get("/console/account")).status_code == 303
    await idle.aclose()
    await busy.aclose()
