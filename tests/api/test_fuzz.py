"""Schemathesis against the app in-process: every operation of /openapi.json with generated
valid and invalid requests, as an admin, over a database holding real rows. Any 5xx, and any
response the OpenAPI does not describe (status code, content type, body), fails the run."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi

from app.core.config import Settings
from app.main import create_app
from tests.api.conftest import FUZZ_SUMMARIES
from tests.conftest import ENGINE, Tokens
from tests.leads.test_leads_api import offer

# Per operation and generation mode; MIC_FUZZ_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("MIC_FUZZ_EXAMPLES", "15"))
# Only the operations whose path starts with one of these (comma-separated), to check a change
# to a few routes by hand: MIC_FUZZ_PATHS=/open/v1. Unset: every operation.
ONLY = tuple(p.strip() for p in os.environ.get("MIC_FUZZ_PATHS", "").split(",") if p.strip())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The sample rows have small ids; valid requests aim at them so updates and deletes meet real
# rows with history (deliveries, broadcasts) instead of 404s.
SAMPLE_IDS = st.integers(min_value=1, max_value=4)


class RecordedRuns:
    """Stands in for the source runner: a fuzzed source's URL is never fetched."""

    def __init__(self) -> None:
        self.spawned: list[tuple[int, int]] = []

    async def spawn(self, source_id: int, run_id: int) -> None:
        self.spawned.append((source_id, run_id))

    async def close(self) -> None:
        pass


@dataclasses.dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    server_errors: int = 0
    schema_failures: int = 0
    problems: dict[str, str] = dataclasses.field(default_factory=dict)

    def line(self) -> str:
        return (
            f"schemathesis on {ENGINE}: {self.operations} operations, {self.examples} examples, "
            f"{self.server_errors} server errors, {self.schema_failures} schema failures"
        )


def _sample_rows(http: Any, admin: dict[str, str]) -> None:
    """Rows with history, made through the API: two producers with deliveries of a published
    price, a verified (broadcast) lead, a sent notice, a rate, a watched series, a source."""
    today = dt.date.today().isoformat()
    steps: list[tuple[str, dict[str, Any] | None]] = [
        (
            "/producers",
            {
                "name": "Ko Aung",
                "country": "MM",
                "phone": "09 250 000 001",
                "kind": "farmer",
                "consent": {"channel": "paper"},
            },
        ),
        (
            "/producers",
            {
                "name": "Ma Hla",
                "country": "MM",
                "telegram_chat_id": 880001,
                "kind": "farmer",
                "consent": {"channel": "telegram"},
            },
        ),
        ("/producers/1/subscriptions", {"commodity": "mango", "leads": True}),
        ("/producers/2/subscriptions", {"commodity": "mango", "market": "muse"}),
        (
            "/prices",
            {
                "commodity": "mango",
                "market": "muse",
                "price": "12600",
                "currency": "CNY",
                "unit": "tonne",
                "price_type": "border",
                "observed_on": today,
                "publish": True,
            },
        ),
        ("/leads", offer()),
        ("/leads/1/verify", None),
        ("/notices", {"texts": {"en": "Muse gate closed"}, "countries": ["MM"]}),
        ("/notices/1/send", None),
        (
            "/fx-rates",
            {"base": "USD", "quote": "MMK", "rate": "2100", "on_date": today, "source": "cbm"},
        ),
        ("/prices/watches", {"commodity": "mango", "market": "muse", "max_age_days": 7}),
        (
            "/sources",
            {
                "slug": "feed",
                "name": "Buyer feed",
                "kind": "rss_leads",
                "country": "MM",
                "url": "https://feeds.invalid/leads.xml",
                "schedule": "0 6 * * *",
            },
        ),
    ]
    for path, body in steps:
        response = http.post(f"/api/v1{path}", headers=admin, json=body)
        assert response.status_code in (200, 201), (path, response.text)


def _fuzz(operation: Any, mode: GenerationMode, admin: dict[str, str], tally: Tally) -> None:
    int_paths = [
        p.name
        for p in operation.path_parameters
        if p.definition.get("schema", {}).get("type") == "integer"
    ]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure in CI reproduces
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fixed = {}
        if mode is GenerationMode.POSITIVE:
            fixed = {name: data.draw(SAMPLE_IDS, label=name) for name in int_paths}
        case = data.draw(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        tally.examples += 1
        try:
            response = case.call(headers=admin)
        except Exception as exc:
            # The app's error reached the transport: a 500 in production, with a traceback.
            tally.server_errors += 1
            key = f"{operation.label}: {type(exc).__name__}: {exc}"[:300]
            tally.problems.setdefault(key, case.as_curl_command())
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=admin)
        except FailureGroup as failures:
            for failure in failures.exceptions:
                if failure.title == "Server error":
                    tally.server_errors += 1
                else:
                    tally.schema_failures += 1
                key = f"{operation.label}: {failure.title} ({response.status_code})"
                tally.problems.setdefault(key, f"{case.as_curl_command()}\n  -> {response.text}")

    with contextlib.suppress(Unsatisfiable):
        run()  # Unsatisfiable: no invalid request exists for an operation without any input


@pytest.fixture
def quiet_logs() -> Iterator[None]:
    # Thousands of refused requests would each log a warning; the tally says what matters.
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def test_every_operation_answers_as_documented(
    settings: Settings, tokens: Tokens, quiet_logs: None, request: pytest.FixtureRequest
) -> None:
    # Thousands of requests from one client: the public rate limit would answer most of the
    # open data's with a (documented) 429 and leave them unchecked.
    app = create_app(settings.model_copy(update={"public_rate": 0}))
    app.state.source_runner = RecordedRuns()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tally = Tally()
    try:
        with asgi.get_client(app) as http:
            _sample_rows(http, tokens.admin)
        for result in schema.get_all_operations():
            operation = result.ok()
            if ONLY and not operation.path.startswith(ONLY):
                continue
            tally.operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, mode, tokens.admin, tally)
    finally:
        asgi.shutdown_lifespans()
    request.config.stash.setdefault(FUZZ_SUMMARIES, []).append(tally.line())
    documented = sum(
        len(methods)
        for path, methods in app.openapi()["paths"].items()
        if not ONLY or path.startswith(ONLY)
    )
    assert tally.operations == documented
    if tally.problems:
        found = "\n".join(f"{what}\n  {request}" for what, request in tally.problems.items())
        pytest.fail(f"{tally.line()}\n{found}", pytrace=False)
