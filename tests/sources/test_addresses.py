"""Sources fetch public addresses only: a CDE cannot point one at the service itself, the
office network or the Bot API's token URL and read the answer back through the run."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from app.core.config import Settings
from app.core.db import Database
from app.sources import addresses
from app.sources.models import RunStatus, RunTrigger, SourceKind
from jobs.collect import run_source
from jobs.collectors.http import FetchError, fetch, new_client
from tests.conftest import Tokens
from tests.fakes.upstream import LOOPBACK, FakeUpstream
from tests.sources.conftest import add_source, run_now

CSV = "market,commodity,unit,price\nYangon,Rice,kg,1200\n"
# A bot token's shape, as the Bot API's getMe answer would echo what the URL held.
BOT_ANSWER = '{"ok":true,"result":{"id":7012345678,"is_bot":true,"first_name":"MIC",' + (
    '"description":"' + "x" * 3000 + '"}}'
)

LONG_ANSWER = (
    ",".join(["bot7012345678:AAE" + "k" * 32, *(f"field{i}" for i in range(400))])
    + "\nsecret,answer\n"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Only a named on-premise portal is allowed here; loopback is not."""
    return settings.model_copy(update={"source_allowed_hosts": ["portal.office.test"]})


def source_body(url: str) -> dict[str, object]:
    return {
        "slug": "sneaky",
        "name": "Sneaky",
        "kind": "rss_leads",
        "country": "MM",
        "url": url,
        "schedule": "30 6 * * *",
    }


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:8000/api/v1/tokens", "127.0.0.1 is this machine"),
        ("http://localhost:8000/api/v1/me", "localhost is this machine"),
        ("http://2130706433/bot123:abc/getMe", "2130706433 is this machine"),
        ("http://127.1/", "127.1 is this machine"),
        ("http://[::1]:8000/", "::1 is this machine"),
        ("http://[::ffff:10.0.0.8]/", "is a private network"),
        ("http://10.0.0.5/prices.csv", "10.0.0.5 is a private network"),
        ("http://169.254.169.254/latest/meta-data/", "is a private network"),
        ("http://mic:pw@portal.example.org/x.csv", "carries a user name or password"),
    ],
)
async def test_a_source_naming_a_private_address_is_refused_when_saved(
    client: httpx.AsyncClient, tokens: Tokens, url: str, said: str
) -> None:
    response = await client.post("/api/v1/sources", headers=tokens.cde_mm, json=source_body(url))

    assert response.status_code == 422, response.text
    assert said in response.json()["detail"]
    assert (await client.get("/api/v1/sources", headers=tokens.cde_mm)).json() == []


async def test_moving_a_source_to_a_private_address_is_refused(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_mm,
        json=source_body("https://portal.example.org/prices.csv"),
    )
    assert created.status_code == 201, created.text
    source_id = created.json()["id"]

    moved = await client.patch(
        f"/api/v1/sources/{source_id}",
        headers=tokens.cde_mm,
        json={"url": "http://127.0.0.1:8000/api/v1/tokens"},
    )

    assert moved.status_code == 422, moved.text
    assert "127.0.0.1 is this machine" in moved.json()["detail"]
    kept = await client.get(f"/api/v1/sources/{source_id}", headers=tokens.cde_mm)
    assert kept.json()["url"] == "https://portal.example.org/prices.csv"


async def test_a_named_private_host_is_allowed_by_the_setting(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_mm,
        json=source_body("http://portal.office.test:8080/prices.csv"),
    )

    assert response.status_code == 201, response.text


async def test_a_saved_source_at_a_private_address_is_refused_when_it_runs(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, upstream: FakeUpstream
) -> None:
    # Saved before the check existed, or before the setting was narrowed.
    upstream.route("/bot7012345678:AAE/getMe", BOT_ANSWER, content_type="application/json")
    source_id = await add_source(
        database, SourceKind.WFP_HDX, f"{upstream.url}/bot7012345678:AAE/getMe"
    )

    run = await run_now(client, tokens.cde_mm, source_id)

    assert run["status"] == "failed"
    assert run["error"].startswith("refused to fetch: 127.0.0.1 is this machine")
    assert upstream.requests == []


async def test_a_redirect_to_a_private_address_is_refused(
    database: Database, settings: Settings, seeded: None, upstream: FakeUpstream
) -> None:
    port = upstream.url.rsplit(":", 1)[1]
    upstream.route(
        "/prices.csv",
        "",
        status=302,
        headers={"Location": f"http://localhost:{port}/secret"},
    )
    upstream.route("/secret", CSV)
    source_id = await add_source(database, SourceKind.WFP_HDX, f"{upstream.url}/prices.csv")

    loopback = settings.model_copy(update={"source_allowed_hosts": [LOOPBACK]})
    # Loopback by its address is allowed; the redirect's target must pass on its own.
    run = await run_source(database, source_id, trigger=RunTrigger.SCHEDULE, settings=loopback)

    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert "refused to fetch: localhost (127.0.0.1) is this machine" in run.error
    assert upstream.hits("/prices.csv") == 1
    assert upstream.hits("/secret") == 0


async def test_a_name_with_any_private_address_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def lookup(host: str, port: int) -> list[addresses.Address]:
        assert host == "mixed.example.org"
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.1.2.3")]

    monkeypatch.setattr(addresses, "lookup", lookup)

    async with new_client(timeout_s=1.0) as client:
        with pytest.raises(FetchError) as caught:
            await fetch(client, "http://mixed.example.org/prices.csv", expect="csv", attempts=3)

    assert str(caught.value) == (
        "refused to fetch: mixed.example.org (10.1.2.3) is a private network, not a public"
        " address; sources fetch only public http(s) addresses unless"
        " MIC_SOURCE_ALLOWED_HOSTS names the host"
    )


async def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream
) -> None:
    # The name exists in no resolver: the fetch can only succeed by connecting to the address
    # the check looked up, never by letting the connection resolve the name a second time
    # (which a rebinding DNS server would answer differently).
    looked_up: list[str] = []

    async def lookup(host: str, port: int) -> list[addresses.Address]:
        looked_up.append(host)
        return [ipaddress.ip_address(LOOPBACK)]

    monkeypatch.setattr(addresses, "lookup", lookup)
    upstream.route("/prices.csv", CSV)
    port = upstream.url.rsplit(":", 1)[1]

    async with new_client(allowed_hosts=["Portal.Office.Test"], timeout_s=5.0) as client:
        got = await fetch(client, f"http://portal.office.test:{port}/prices.csv", expect="csv")

    assert got.content == CSV.encode()
    assert looked_up == ["portal.office.test"]
    [request] = upstream.requests
    assert request.headers["host"] == f"portal.office.test:{port}"


async def test_a_run_error_quotes_only_a_short_excerpt_of_the_answer(
    database: Database, settings: Settings, seeded: None, upstream: FakeUpstream
) -> None:
    # Read as CSV, the answer is one header row of many columns, which the error lists.
    upstream.route("/prices.csv", LONG_ANSWER, content_type="text/csv")
    upstream.fail("/prices.csv", [404], body=LONG_ANSWER)
    source_id = await add_source(
        database,
        SourceKind.CSV_URL,
        f"{upstream.url}/prices.csv",
        mapping={
            "columns": {"market": "market", "commodity": "commodity", "price": "price"},
            "defaults": {
                "unit": "kg",
                "currency": "MMK",
                "price_type": "retail",
                "observed_on": "2022-05-15",
            },
        },
    )

    loopback = settings.model_copy(update={"source_allowed_hosts": [LOOPBACK]})
    errors = []
    for _ in range(2):  # the 404's body, then the 200's body that is no price table
        run = await run_source(database, source_id, trigger=RunTrigger.SCHEDULE, settings=loopback)
        assert run.status is RunStatus.FAILED
        assert run.error is not None
        errors.append(run.error)

    assert errors[0].startswith("HTTP 404 from 127.0.0.1/prices.csv: ")
    assert errors[1].startswith("column 'market' is not in")
    for error in errors:
        assert len(error) <= 300, error
        assert "AAE" + "k" * 32 not in error  # the token the answer echoed
        assert "\n" not in error
