"""Job runs as the scheduler leaves them, for the facts to count."""

from __future__ import annotations

import datetime as dt

from app.sources.models import JobRun, RunStatus, RunTrigger


def finished_run(
    job: str, status: RunStatus, started: dt.datetime, *, seconds: float = 42
) -> JobRun:
    return JobRun(
        job=job,
        trigger=RunTrigger.SCHEDULE,
        status=status,
        runner="test:1",
        started_at=started,
        heartbeat_at=started,
        finished_at=started + dt.timedelta(seconds=seconds),
    )
