"""A process's Prometheus metrics: its own instruments in a registry of its own, built by the
factory of the process (the app, `mic dispatcher`, `mic scheduler`) and handed to the parts that
count, never a module-level registry.

Every series a process exports carries a `process` label (MIC_PROCESS_NAME, or host:pid), so the
series of several processes scraped together stay apart. Each process serves its own metrics;
there is no multi-process aggregation. What is read from the database rather than counted here
(the outbox, SMS spend, job runs) is exported by one process only, the scheduler's leader
(app/ops/gauges.py), so a sum over processes counts it once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

Refresh = Callable[[], Awaitable[None]]


class Leading(Protocol):
    """What the leader gauge reads: app.core.leader.Leadership."""

    @property
    def is_leader(self) -> bool: ...


class _Labelled(Collector):
    """The process's series, each with the `process` label added as it is scraped, so that the
    instruments themselves (counted on every request) carry one label fewer."""

    def __init__(self, inner: CollectorRegistry, process: str) -> None:
        self._inner = inner
        self._process = process

    def collect(self) -> Iterable[Metric]:
        for family in self._inner.collect():
            family.samples = [
                sample._replace(labels={**sample.labels, "process": self._process})
                for sample in family.samples
            ]
            yield family


class Metrics:
    """The instruments of one process, and the text a scrape answers."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, process: str) -> None:
        self.process = process
        self._own = CollectorRegistry(auto_describe=False)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Labelled(self._own, process))
        self._refreshes: list[Refresh] = []
        own = self._own
        self.sends = Counter(
            "mic_dispatcher_sends",
            "Messages this process's dispatcher tried to send, by channel and result: sent, "
            "rate_limited (the gateway answered 429), unavailable (the channel is down: held), "
            "transient (retried later), permanent.",
            ["channel", "result"],
            registry=own,
        )
        self.pauses = Counter(
            "mic_dispatcher_pauses",
            "Times this process's dispatcher paused a channel that was sending, after a 429.",
            ["channel"],
            registry=own,
        )
        self.paused_seconds = Counter(
            "mic_dispatcher_paused_seconds",
            "Seconds of pause this process's dispatcher imposed on a channel after 429s.",
            ["channel"],
            registry=own,
        )
        # One histogram, whose _count is the number of requests: one observation per request
        # rather than a counter's increment beside it.
        self.http_requests = Histogram(
            "mic_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template, method and status class (2xx...); "
            "its _count counts the requests.",
            ["route", "method", "status"],
            registry=own,
        )
        self._leader = Gauge(
            "mic_leader",
            "1 while this process leads the role (scheduler, telegram polling), else 0.",
            ["role"],
            registry=own,
        )

    def watch_leader(self, role: str, leadership: Leading) -> None:
        """Export whether this process leads `role`, read at each scrape."""
        self._leader.labels(role=role).set_function(lambda: float(leadership.is_leader))

    def register(self, collector: Collector, *, refresh: Refresh | None = None) -> None:
        """Export `collector`'s series too; `refresh` is awaited before every scrape (it may
        read the database, so it decides itself how often it really does)."""
        self._own.register(collector)
        if refresh is not None:
            self._refreshes.append(refresh)

    async def scrape(self) -> bytes:
        """The exposition text of every series of this process."""
        for refresh in self._refreshes:
            await refresh()
        return generate_latest(self.registry)
