"""Reading a Prometheus scrape in tests: its samples by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics import Metrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The sample of `name` whose labels include `labels` (None if there is none); exactly one
    must match."""
    found = [
        v for (n, have), v in samples.items() if n == name and frozenset(labels.items()) <= have
    ]
    assert len(found) <= 1, f"{len(found)} samples of {name} match {labels}"
    return found[0] if found else None


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


async def scrape(metrics: Metrics) -> Samples:
    return parse((await metrics.scrape()).decode())
