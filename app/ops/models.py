"""The facts of app.ops as data: what `mic status --json` prints and the gauges are made of."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from app.alerts.models import ChannelName, DeliveryCount, DeliveryStatus
from app.sources.models import RunStatus


class ChannelOutbox(BaseModel):
    """A channel's deliveries still to be sent, and whether they are moving."""

    channel: ChannelName
    waiting: dict[DeliveryStatus, int] = Field(
        description="deliveries queued, errored (to retry), sending or held, by status"
    )
    oldest_due_s: float | None = Field(
        description="seconds since the oldest due delivery became due; null when none is due"
    )
    paused_s: float = Field(description="seconds left of the channel's pause after a 429")


class SmsToday(BaseModel):
    """A country's SMS on its own local day."""

    country: str
    day: dt.date
    segments: int = Field(description="segments of the SMS sent this day")
    spent: Decimal = Field(description="what the budget counts: SMS charged when first claimed")
    budget: Decimal
    left: Decimal
    currency: str
    held: int = Field(description="SMS held past the budget, waiting for an admin")


class InboundCount(BaseModel):
    """Messages received, by what became of them: the intent they were answered as (price,
    help, unknown...), not_served (no reply is due: a number of a country MIC does not
    serve), or unanswered (stored, its answer still to come)."""

    channel: str
    outcome: str
    count: int


class RunCount(BaseModel):
    job: str
    status: RunStatus
    count: int


class LastRun(BaseModel):
    """A job's most recent run."""

    job: str
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_s: float | None = Field(description="of the last finished run")
    failing_since: dt.datetime | None = Field(
        description="start of the first of the failed runs since the job last succeeded; "
        "null when its last finished run did not fail"
    )


class Facts(BaseModel):
    """What the database says about the deployment at one moment."""

    at: dt.datetime
    outbox: list[ChannelOutbox]
    deliveries_24h: list[DeliveryCount] = Field(
        description="deliveries queued in the last 24 hours, by channel and status"
    )
    sms_today: list[SmsToday]
    inbound_24h: list[InboundCount] = Field(
        description="messages answered in the last 24 hours, and those still unanswered"
    )
    runs_24h: list[RunCount] = Field(description="job runs started in the last 24 hours")
    last_runs: list[LastRun]


class Leader(BaseModel):
    """Who leads a role. `known` is false where the database cannot tell (SQLite, where the
    one process running a scheduler leads); `holder` is null when nobody leads."""

    role: str
    known: bool
    holder: str | None = None
    since: dt.datetime | None = None


class Migrations(BaseModel):
    """The database's schema revision against the one this code needs."""

    current: str | None
    needed: str | None
    up_to_date: bool


class Status(BaseModel):
    """`mic status`: the facts, the leaders and the schema."""

    facts: Facts | None = Field(
        description="null while the database is not at the schema this code reads"
    )
    leaders: list[Leader]
    migrations: Migrations
