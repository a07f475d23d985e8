"""The Grafana dashboard and the Prometheus alerting rules in app/ops/monitoring: they parse,
hold the alerts the README promises, and ask only for metrics a real scrape of MIC has."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Settings
from app.main import create_app

MONITORING = Path(__file__).resolve().parents[2] / "app" / "ops" / "monitoring"
METRIC = re.compile(r"\bmic_[a-z0-9_]+")
# The series names each kind of metric family is exposed as.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}


def rules() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((MONITORING / "prometheus-rules.yml").read_text())
    return loaded


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return loaded


def dashboard_queries() -> list[str]:
    return [
        target["expr"]
        for panel in dashboard()["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def rule_queries() -> list[str]:
    return [rule["expr"] for group in rules()["groups"] for rule in group["rules"]]


async def scraped_names(settings: Settings) -> set[str]:
    """Every series name a scrape of the API answers, its scheduler leading (so that the
    database gauges are there), counters and histograms included before anything counted."""
    app = create_app(settings.model_copy(update={"scheduler": True}))
    async with app.router.lifespan_context(app):
        async with asyncio.timeout(20):
            while not app.state.scheduler.leadership.is_leader:  # noqa: ASYNC110 - its own task
                await asyncio.sleep(0.02)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client:
            text = (await client.get("/metrics")).text
    found: set[str] = set()
    for family in text_string_to_metric_families(text):
        found |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
        found |= {sample.name for sample in family.samples}
    return found


def test_the_rules_hold_the_four_alerts_in_their_groups() -> None:
    groups = {group["name"]: group["rules"] for group in rules()["groups"]}
    assert {name: [rule["alert"] for rule in found] for name, found in groups.items()} == {
        "mic-outbox": ["MicOutboxStuck"],
        "mic-sms-budget": ["MicSmsBudgetNearlySpent"],
        "mic-collectors": ["MicCollectorFailingForADay"],
        "mic-leadership": ["MicNoSchedulerLeader"],
    }
    for found in groups.values():
        for rule in found:
            assert rule["labels"]["severity"] in {"warning", "critical"}
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_the_dashboard_is_a_grafana_dashboard_with_distinct_panels() -> None:
    board = dashboard()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    assert board["uid"] == "mic-operations"
    assert [v["type"] for v in board["templating"]["list"]] == ["datasource"]
    assert len(dashboard_queries()) >= 10


async def test_dashboard_and_rules_ask_only_for_metrics_a_scrape_has(settings: Settings) -> None:
    exposed = await scraped_names(settings)
    assert "mic_outbox_oldest_due_age_seconds" in exposed  # the database gauges are there
    queries = dashboard_queries() + rule_queries()
    asked = {name for query in queries for name in METRIC.findall(query)}
    assert asked, "no metric found in the queries"
    assert asked - exposed == set()
