"""The Today summary as the API answers it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from app.alerts.models import ChannelName, DeliveryStatus
from app.prices.models import SilentSeries, StaleSeries
from app.sources.models import RunStatus


class Waiting(BaseModel):
    """Items waiting for a decision: how many, and since when the oldest has waited."""

    count: int
    oldest: dt.datetime | None = Field(description="when the oldest was submitted; null: none")


class BudgetToday(BaseModel):
    """A country's SMS budget for its local day."""

    country: str
    day: dt.date
    budget: Decimal = Field(description="MIC_SMS_DAILY_BUDGET for the country; 0: none set")
    spent: Decimal
    left: Decimal = Field(description="what may still be spent today; never below 0")
    currency: str
    held: int = Field(description="SMS held because the budget was reached, waiting for an admin")


class RunProblem(BaseModel):
    """A job run that failed or lost its process."""

    id: int
    job: str
    source_id: int | None
    country: str | None
    status: RunStatus
    started_at: dt.datetime
    error: str | None


class DeliveryCount(BaseModel):
    status: DeliveryStatus
    channel: ChannelName
    count: int


class StaleToday(BaseModel):
    """Series whose newest published price is too old."""

    watched: list[StaleSeries] = Field(
        description="followed series without a published price for longer than their window"
    )
    silent_after_days: int = Field(
        description="age at which an unfollowed series counts as silent: the age at which "
        "producers' answers mark a price as old"
    )
    silent_count: int = Field(description="published series nobody follows that went silent")
    silent: list[SilentSeries] = Field(description="of those, the ones that went silent last")


class TodayOut(BaseModel):
    """What needs the staff member now, for the countries they cover."""

    countries: list[str] = Field(description="the countries summed up")
    pending_prices: Waiting = Field(description="prices from staff, imports and sources")
    pending_reports: Waiting = Field(description="prices field reporters sent by SMS or Telegram")
    pending_leads: Waiting = Field(description="buyer leads waiting to be verified")
    budgets: list[BudgetToday]
    failed_runs: list[RunProblem] = Field(
        description="failed or abandoned job runs of the last 24 hours, newest first"
    )
    stale_series: StaleToday
    unmapped_names: int = Field(description="source names waiting to be mapped to the catalogue")
    deliveries: list[DeliveryCount] = Field(
        description="deliveries created in the last 24 hours, per status and channel"
    )
