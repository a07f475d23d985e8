"""Exchange-rate sources: the Central Bank of Myanmar rates make a Muse quote in yuan readable
in kyat; a rate file with a broken value keeps the others and says which one was refused."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx

from app.core import clock
from tests.conftest import Tokens
from tests.fakes.upstream import FakeUpstream
from tests.sources.conftest import DATA, create_source, run_now


async def test_cbm_rates_give_the_kyat_value_of_a_muse_mango_quote(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    upstream.route(
        "/api/latest",
        (DATA / "cbm_history_2022-06-28.json").read_bytes(),
        content_type="application/json",
        etag='"cbm-2022-06-28"',
    )
    source = await create_source(
        client,
        tokens.admin,
        slug="cbm",
        name="Central Bank of Myanmar",
        kind="cbm_fx",
        url=f"{upstream.url}/api/latest",
        schedule="0 17 * * 1-5",
    )
    run = await run_now(client, tokens.admin, source["id"])
    assert run["status"] == "succeeded", run
    assert run["inserted"] == 38  # 39 currencies quoted; MMK itself is not a rate

    rates = (
        await client.get("/api/v1/fx-rates", headers=tokens.admin, params={"base": "CNY"})
    ).json()
    assert [(r["quote"], Decimal(r["rate"]), r["on_date"], r["source"]) for r in rates] == [
        ("MMK", Decimal("276.72"), "2022-06-28", "cbm")
    ]
    yen = (
        await client.get("/api/v1/fx-rates", headers=tokens.admin, params={"base": "JPY"})
    ).json()
    assert Decimal(yen[0]["rate"]) == Decimal("13.634")  # CBM quotes yen per 100

    quote = await client.post(
        "/api/v1/prices",
        headers=tokens.cde_mm,
        json={
            "commodity": "mango",
            "variety": "sein-ta-lone",
            "market": "muse",
            "price": "12600",
            "currency": "CNY",
            "unit": "tonne",
            "price_type": "border",
            "observed_on": (clock.today("Asia/Yangon") - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert quote.status_code == 201, quote.text
    equivalents = quote.json()["equivalents"]
    assert equivalents["local_currency"] == "MMK"
    assert Decimal(equivalents["local"]) == Decimal("12600") * Decimal("276.72")
    assert Decimal(equivalents["local_per_kg"]) == Decimal("12600") * Decimal("276.72") / 1000
    assert equivalents["fx_date"] == "2022-06-28"
    # In dollars through the kyat: every CBM rate is quoted against it.
    usd = Decimal("12600") * Decimal("276.72") / Decimal("1850.0")
    assert Decimal(equivalents["usd"]) == usd.quantize(Decimal("0.0001"))

    # The next run: the server says 304, nothing changes.
    again = await run_now(client, tokens.admin, source["id"])
    assert (again["status"], again["inserted"]) == ("skipped", 0)
    assert upstream.requests[-1].headers.get("if-none-match") == '"cbm-2022-06-28"'


async def test_a_rate_of_zero_or_na_is_refused_and_the_others_kept(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    payload = json.loads((DATA / "cbm_history_2022-06-28.json").read_bytes())
    payload["rates"]["USD"] = "N/A"
    payload["rates"]["THB"] = "0"
    upstream.route("/api/latest", json.dumps(payload), content_type="application/json")
    source = await create_source(
        client,
        tokens.admin,
        slug="cbm",
        name="CBM",
        kind="cbm_fx",
        url=f"{upstream.url}/api/latest",
    )
    run = await run_now(client, tokens.admin, source["id"])
    assert (run["status"], run["inserted"], run["rejected"]) == ("succeeded", 36, 2)
    reasons = " ".join(p["reason"] for p in run["problems"])
    assert "USD" in reasons and "N/A" in reasons and "THB" in reasons
    assert (
        await client.get("/api/v1/fx-rates", headers=tokens.admin, params={"base": "USD"})
    ).json() == []


async def test_only_admins_manage_a_source_of_no_country(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        "/api/v1/sources",
        headers=tokens.cde_mm,
        json={
            "slug": "cbm",
            "name": "CBM",
            "kind": "cbm_fx",
            "url": "https://forex.cbm.gov.mm/api/latest",
            "schedule": "0 17 * * 1-5",
        },
    )
    assert response.status_code == 403


async def test_history_days_fill_the_days_before_and_a_missing_day_is_a_problem(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    upstream.route(
        "/api/latest",
        (DATA / "cbm_history_2022-06-28.json").read_bytes(),
        content_type="application/json",
    )
    today = clock.today("Asia/Yangon")
    yesterday, before = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    upstream.route(
        f"/api/history/{yesterday:%d-%m-%Y}",
        (DATA / "cbm_latest_2021-10-15_as_copied.json").read_bytes(),
        content_type="application/json",
    )
    upstream.route(f"/api/history/{before:%d-%m-%Y}", "no rates that day", status=404)
    bad = await client.post(
        "/api/v1/sources",
        headers=tokens.admin,
        json={
            "slug": "cbm",
            "name": "CBM",
            "kind": "cbm_fx",
            "url": f"{upstream.url}/api/latest",
            "schedule": "0 17 * * 1-5",
            "mapping": {"history_days": 400},
        },
    )
    assert bad.status_code == 422
    source = await create_source(
        client,
        tokens.admin,
        slug="cbm",
        name="CBM",
        kind="cbm_fx",
        url=f"{upstream.url}/api/latest",
        mapping={"history_days": 2},
    )
    run = await run_now(client, tokens.admin, source["id"])
    assert (run["status"], run["inserted"]) == ("succeeded", 38 + 38), run
    assert any(
        f"history of {before}" in p["reason"] and "404" in p["reason"] for p in run["problems"]
    )
    rates = (
        await client.get("/api/v1/fx-rates", headers=tokens.admin, params={"base": "CNY"})
    ).json()
    assert [(r["on_date"], r["rate"]) for r in rates] == [
        ("2022-06-28", "276.7200000000"),
        ("2021-10-15", "284.6200000000"),
    ]


async def test_a_daily_rate_file_keeps_the_currencies_asked_for(
    client: httpx.AsyncClient, tokens: Tokens, upstream: FakeUpstream
) -> None:
    upstream.route(
        "/v1/currencies/usd.min.json",
        (DATA / "fawazahmed0_currency_api_usd_2024-02-19.json").read_bytes(),
        content_type="application/json",
    )
    source = await create_source(
        client,
        tokens.admin,
        slug="currency-api",
        name="currency-api",
        kind="currency_api",
        url=f"{upstream.url}/v1/currencies/usd.min.json",
        mapping={"currencies": ["mmk", "cny"]},
    )
    run = await run_now(client, tokens.admin, source["id"])
    assert (run["status"], run["seen"], run["inserted"]) == ("succeeded", 2, 2), run
    rates = (
        await client.get("/api/v1/fx-rates", headers=tokens.admin, params={"base": "USD"})
    ).json()
    assert sorted((r["quote"], r["on_date"], r["source"]) for r in rates) == [
        ("CNY", "2024-02-19", "currency-api"),
        ("MMK", "2024-02-19", "currency-api"),
    ]
    assert Decimal(next(r["rate"] for r in rates if r["quote"] == "MMK")).quantize(
        Decimal("0.01")
    ) == Decimal("2098.92")
