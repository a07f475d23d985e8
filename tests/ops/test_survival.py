"""The survival bench's short form (bench/survival.py), in CI: two `mic run` and a `mic
scheduler` on a private PostgreSQL cluster survive SIGKILLs, a database restart, a gateway
outage and the loss of the scheduler's leader. It runs with the PostgreSQL suite only: the
cluster it makes and restarts is its own, never the server of MIC_TEST_DATABASE_URL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.survival import SCENARIOS
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(
    ENGINE != "postgresql", reason="the deployment that survives is PostgreSQL's"
)
ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 170  # CI stops a test suite that runs long; the short form takes about 90 s


def _objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects printed one after another."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    rest = text.lstrip()
    while rest:
        found_one, end = decoder.raw_decode(rest)
        found.append(found_one)
        rest = rest[end:].lstrip()
    return found


def test_the_short_survival_bench_passes_every_scenario() -> None:
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench", "survival", "--short", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = bench.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        # SIGTERM: the bench stops its processes and drops its cluster on the way out.
        bench.terminate()
        stdout, stderr = bench.communicate(timeout=60)
        pytest.fail(f"the short survival bench took over {LIMIT_S} s:\n{stdout}\n{stderr}")
    results = _objects(stdout)
    shown = f"stdout:\n{stdout}\nstderr (end):\n{stderr[-3000:]}"
    assert [r["scenario"] for r in results] == list(SCENARIOS), shown
    failed = [r["scenario"] for r in results if not r["passed"]]
    assert not failed, shown
    assert bench.returncode == 0, shown
    for result in results:
        assert result["lost"] == 0
        assert result["duplicates"] <= result["allowed_duplicates"]
        assert result["answered"] == result["asked"] > 0
