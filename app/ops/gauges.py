"""The facts of app/ops/facts.py as Prometheus gauges, exported by the process that leads the
scheduler and by no other: the facts are the same whichever process reads them, so a sum or a
maximum over every process's series counts them once. When the lead moves, the new leader's
series replace the old one's (their `process` label changes).

A scrape reads the database at most once per MIC_METRICS_CACHE_S, however many scrapers ask:
the facts read last are served in between, failed reads included.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from app.core.config import Settings
from app.core.db import Database
from app.core.metrics import Leading
from app.ops.facts import gather_facts
from app.ops.models import Facts

log = logging.getLogger("mic.metrics")


class DatabaseGauges(Collector):
    def __init__(self, database: Database, settings: Settings, leadership: Leading) -> None:
        self.database = database
        self.settings = settings
        self.leadership = leadership
        self._facts: Facts | None = None
        self._read_at = float("-inf")  # time.monotonic() of the last read, good or failed
        self._reading = asyncio.Lock()

    async def refresh(self) -> None:
        """Read the facts again if this process leads and they are older than the cache."""
        if not self.leadership.is_leader:
            self._facts = None
            return
        async with self._reading:  # a storm of scrapes waits for one read
            if time.monotonic() - self._read_at < self.settings.metrics_cache_s:
                return
            try:
                async with self.database.read_session() as session:
                    self._facts = await gather_facts(session, settings=self.settings)
            except Exception as exc:
                # Logged, and exported as no database gauges rather than old ones.
                log.warning("metrics: cannot read the database facts: %s", exc)
                self._facts = None
            self._read_at = time.monotonic()

    def collect(self) -> Iterable[Metric]:
        facts = self._facts
        if facts is None or not self.leadership.is_leader:
            return []
        return _families(facts)


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _families(facts: Facts) -> list[Metric]:
    waiting = _gauge(
        "mic_outbox_deliveries",
        "Deliveries waiting to be sent, by channel and status (queued, errored, sending, held).",
        ["channel", "status"],
    )
    oldest = _gauge(
        "mic_outbox_oldest_due_age_seconds",
        "Seconds since the oldest due delivery of the channel became due; 0 when none is due.",
        ["channel"],
    )
    paused = _gauge(
        "mic_outbox_paused_seconds",
        "Seconds left of the channel's pause after a gateway's 429; 0 when it sends.",
        ["channel"],
    )
    for box in facts.outbox:
        for status, count in box.waiting.items():
            waiting.add_metric([box.channel.value, status.value], count)
        oldest.add_metric([box.channel.value], box.oldest_due_s or 0.0)
        paused.add_metric([box.channel.value], box.paused_s)

    recent = _gauge(
        "mic_deliveries_last_24h",
        "Deliveries queued in the last 24 hours, by channel and their status now.",
        ["channel", "status"],
    )
    for delivered in facts.deliveries_24h:
        recent.add_metric([delivered.channel.value, delivered.status.value], delivered.count)

    segments = _gauge(
        "mic_sms_segments_today",
        "SMS segments sent today, on the country's local day.",
        ["country"],
    )
    spent = _gauge(
        "mic_sms_spent_today",
        "What today's SMS of the country cost, as its budget counts it (charged when first "
        "claimed), in the currency of the label.",
        ["country", "currency"],
    )
    budget = _gauge(
        "mic_sms_daily_budget",
        "The country's daily SMS budget (MIC_SMS_DAILY_BUDGET), in the currency of the label.",
        ["country", "currency"],
    )
    held = _gauge(
        "mic_sms_held",
        "SMS held past the country's budget, waiting for an admin.",
        ["country"],
    )
    for day in facts.sms_today:
        segments.add_metric([day.country], day.segments)
        spent.add_metric([day.country, day.currency], float(day.spent))
        budget.add_metric([day.country, day.currency], float(day.budget))
        held.add_metric([day.country], day.held)

    inbound = _gauge(
        "mic_inbound_messages_last_24h",
        "Messages answered in the last 24 hours by channel and outcome (the intent they were "
        "answered as, or not_served), and those still unanswered (outcome unanswered).",
        ["channel", "outcome"],
    )
    for received in facts.inbound_24h:
        inbound.add_metric([received.channel, received.outcome], received.count)

    runs = _gauge(
        "mic_job_runs_last_24h",
        "Job runs started in the last 24 hours, by job and status.",
        ["job_name", "status"],
    )
    for run_count in facts.runs_24h:
        runs.add_metric([run_count.job, run_count.status.value], run_count.count)
    last_run = _gauge(
        "mic_job_last_run_timestamp_seconds",
        "When the job's latest run started (Unix time), with that run's status.",
        ["job_name", "status"],
    )
    duration = _gauge(
        "mic_job_last_run_duration_seconds",
        "How long the job's latest finished run took.",
        ["job_name"],
    )
    failing = _gauge(
        "mic_job_failing_since_timestamp_seconds",
        "Start (Unix time) of the first of the runs that failed since the job last succeeded; "
        "only for jobs whose latest finished run failed.",
        ["job_name"],
    )
    for run in facts.last_runs:
        last_run.add_metric([run.job, run.status.value], run.started_at.timestamp())
        if run.duration_s is not None:
            duration.add_metric([run.job], run.duration_s)
        if run.failing_since is not None:
            failing.add_metric([run.job], run.failing_since.timestamp())

    read_at = GaugeMetricFamily(
        "mic_database_facts_timestamp_seconds",
        "When the database gauges were read (Unix time).",
        value=facts.at.timestamp(),
    )
    return [
        waiting,
        oldest,
        paused,
        recent,
        segments,
        spent,
        budget,
        held,
        inbound,
        runs,
        last_run,
        duration,
        failing,
        read_at,
    ]
