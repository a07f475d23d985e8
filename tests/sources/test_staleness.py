"""Series a CDE follows: stale when no price was published within their window."""

from __future__ import annotations

import datetime as dt

import httpx

from app.alerts.reports import stale_report
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.prices.models import StaleSeries
from app.text.sms import analyse
from jobs.scheduler import Scheduler
from tests.conftest import Tokens


async def test_a_followed_series_is_stale_until_a_price_is_published(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    watched = await client.post(
        "/api/v1/prices/watches",
        headers=tokens.cde_mm,
        json={"commodity": "mango", "market": "muse", "max_age_days": 7},
    )
    assert watched.status_code == 201, watched.text
    assert watched.json()["country"] == "MM"
    again = await client.post(
        "/api/v1/prices/watches",
        headers=tokens.cde_mm,
        json={"commodity": "mango", "market": "muse", "max_age_days": 3},
    )
    assert again.status_code == 409
    elsewhere = await client.post(
        "/api/v1/prices/watches",
        headers=tokens.cde_kh,
        json={"commodity": "mango", "market": "muse", "max_age_days": 7},
    )
    assert elsewhere.status_code == 403

    stale = (await client.get("/api/v1/prices/stale", headers=tokens.cde_mm)).json()
    assert [(s["commodity"], s["market"], s["last_published"]) for s in stale] == [
        ("mango", "muse", None)
    ]
    assert (await client.get("/api/v1/prices/stale", headers=tokens.cde_kh)).json() == []

    old = (clock.today("Asia/Yangon") - dt.timedelta(days=10)).isoformat()
    for observed_on, expect_stale in ((old, True), (clock.today("Asia/Yangon").isoformat(), False)):
        created = await client.post(
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
                "observed_on": observed_on,
                "publish": True,
            },
        )
        assert created.status_code == 201, created.text
        stale = (await client.get("/api/v1/prices/stale", headers=tokens.cde_mm)).json()
        assert bool(stale) is expect_stale
        if stale:
            assert stale[0]["last_published"] == old

    gone = await client.delete(
        f"/api/v1/prices/watches/{watched.json()['id']}", headers=tokens.cde_mm
    )
    assert gone.status_code == 204
    assert (await client.get("/api/v1/prices/watches", headers=tokens.cde_mm)).json() == []


async def test_the_daily_report_goes_to_the_country_s_cdes(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    for market in ("muse", "mandalay"):
        response = await client.post(
            "/api/v1/prices/watches",
            headers=tokens.cde_mm,
            json={"commodity": "mango", "market": market, "max_age_days": 7},
        )
        assert response.status_code == 201, response.text
    scheduler = Scheduler(database, settings)
    await scheduler.run_housekeeping("housekeeping.stale.MM")
    await scheduler.run_housekeeping("housekeeping.stale.KH")

    runs = (await client.get("/api/v1/job-runs", headers=tokens.cde_mm)).json()["items"]
    [report] = [r for r in runs if r["job"] == "housekeeping.stale.MM"]
    assert (report["status"], report["seen"], report["country_code"]) == ("succeeded", 2, "MM")
    assert [p["reason"] for p in report["problems"]] == [
        "mango at muse: last published never, expected every 7 days",
        "mango at mandalay: last published never, expected every 7 days",
    ]
    assert all(r["country_code"] == "MM" for r in runs)  # the Cambodian report is not theirs
    kh = (await client.get("/api/v1/job-runs", headers=tokens.cde_kh)).json()["items"]
    assert [(r["job"], r["seen"]) for r in kh] == [("housekeeping.stale.KH", 0)]
    forbidden = await client.get(f"/api/v1/job-runs/{report['id']}", headers=tokens.cde_kh)
    assert forbidden.status_code == 403


async def test_the_daily_report_reaches_each_cde_who_set_a_contact_once_a_day(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    bad = await client.patch("/api/v1/me", headers=tokens.cde_mm, json={"contact": "call me"})
    assert bad.status_code == 422
    me = await client.patch("/api/v1/me", headers=tokens.cde_mm, json={"contact": "telegram:4242"})
    assert me.json()["contact"] == "telegram:4242"
    kh = await client.patch(
        "/api/v1/me", headers=tokens.cde_kh, json={"contact": "+855 12 345 678"}
    )
    assert kh.json()["contact"] == "tel:+85512345678"
    assert (await client.get("/api/v1/me", headers=tokens.cde_kh)).json()["contact"] == (
        "tel:+85512345678"
    )
    for market in ("muse", "mandalay"):
        await client.post(
            "/api/v1/prices/watches",
            headers=tokens.cde_mm,
            json={"commodity": "mango", "market": market, "max_age_days": 7},
        )
    scheduler = Scheduler(database, settings)
    for _ in range(2):  # a second run the same day sends nothing more
        await scheduler.run_housekeeping("housekeeping.stale.MM")
        await scheduler.run_housekeeping("housekeeping.stale.KH")

    deliveries = (await client.get("/api/v1/deliveries", headers=tokens.admin)).json()["items"]
    assert [(d["channel"], d["country"], d["status"]) for d in deliveries] == [
        ("telegram", "MM", "queued")
    ]
    assert deliveries[0]["text"] == (
        "MIC MM: 2 followed price series are stale.\n"
        "mango at muse: last never (every 7 d)\n"
        "mango at mandalay: last never (every 7 d)"
    )
    runs = (await client.get("/api/v1/job-runs", headers=tokens.cde_mm)).json()["items"]
    assert [r["inserted"] for r in runs] == [0, 1]  # newest first: the second run queued none


def test_an_sms_report_stays_within_three_segments() -> None:
    series = [
        StaleSeries(
            id=i,
            commodity="mango",
            market=f"market-{i}",
            country="MM",
            max_age_days=7,
            last_published=None,
            stale=True,
        )
        for i in range(40)
    ]
    text = stale_report("MM", series, sms=True)
    assert analyse(text).segments <= 3
    assert text.endswith("more: GET /api/v1/prices/stale")
