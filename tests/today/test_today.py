"""GET /today: what needs a staff member now, scoped to their countries, with data in Myanmar,
Cambodia and in no country at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from app.accounts.actor import Actor
from app.alerts.models import Delivery, DeliveryStatus, SmsSpend
from app.alerts.triggers import Alerts
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.prices.curation import report_price
from app.prices.models import PriceCreate, PriceStatus
from app.sources.models import (
    JobRun,
    NameKind,
    RunStatus,
    RunTrigger,
    Source,
    SourceKind,
    UnmappedName,
)
from tests.alerts.conftest import register
from tests.conftest import Tokens


class NoAlerts:
    """A price stored as a fixture alerts nobody; being asked to is a mistake in the test."""

    async def price_published(self, session: object, *, price: object) -> object:
        raise AssertionError("a fixture price is stored pending, never published")


NO_ALERTS = NoAlerts()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"sms_daily_budget": {"MM": Decimal("1.00"), "KH": Decimal("2.00")}}
    )


def price_body(country: str, price: str, **extra: Any) -> dict[str, Any]:
    where = (
        {"commodity": "mango", "market": "muse", "currency": "CNY", "unit": "tonne"}
        if country == "MM"
        else {"commodity": "silk", "market": "phnom-srok", "currency": "KHR", "unit": "kg"}
    )
    zone = "Asia/Yangon" if country == "MM" else "Asia/Phnom_Penh"
    return {
        **where,
        "price": price,
        "price_type": "wholesale",
        "observed_on": clock.today(zone).isoformat(),
        **extra,
    }


async def post(client: httpx.AsyncClient, headers: dict[str, str], url: str, body: Any) -> Any:
    answer = await client.post(url, headers=headers, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def lead(client: httpx.AsyncClient, tokens: Tokens, country: str) -> None:
    await post(
        client,
        tokens.admin,
        "/api/v1/leads",
        {
            "kind": "buy",
            "commodity": "mango" if country == "MM" else "silk",
            "quantity": "20",
            "unit": "kg",
            "currency": "USD",
            "price": "3",
            "buyer_name": "A buyer",
            "contact": "+86 692 000 0000",
            "country": country,
        },
    )


async def sources_and_runs(database: Database) -> None:
    now = clock.utcnow()
    async with database.session() as s:
        made = {}
        for slug, country in (("mm-feed", "MM"), ("kh-feed", "KH"), ("fx", None)):
            source = Source(
                slug=slug,
                name=slug,
                kind=SourceKind.CSV_URL,
                country_code=country,
                url="https://example.org/prices.csv",
                schedule="0 6 * * *",
                created_by="ana",
            )
            s.add(source)
            await s.flush()
            made[slug] = source
        for slug, name, mapped in (
            ("mm-feed", "Muse gate", None),
            ("mm-feed", "Tamu", None),
            ("mm-feed", "Mandalay", "mandalay"),  # mapped: waits for nobody
            ("kh-feed", "Psar Thmei", None),
            ("fx", "XAU", None),
        ):
            s.add(
                UnmappedName(
                    source_id=made[slug].id or 0,
                    kind=NameKind.MARKET,
                    name=name,
                    normalized=name.lower(),
                    mapped_to=mapped,
                )
            )
        for job, slug, status, hours_ago in (
            ("source:mm", "mm-feed", RunStatus.FAILED, 2),
            ("source:mm", "mm-feed", RunStatus.SUCCEEDED, 1),
            ("source:mm", "mm-feed", RunStatus.FAILED, 30),  # yesterday's: not today's problem
            ("source:kh", "kh-feed", RunStatus.ABANDONED, 3),
            ("source:fx", "fx", RunStatus.FAILED, 4),
        ):
            source = made[slug]
            s.add(
                JobRun(
                    job=job,
                    source_id=source.id,
                    country_code=source.country_code,
                    trigger=RunTrigger.SCHEDULE,
                    status=status,
                    runner="host:1",
                    started_at=now - dt.timedelta(hours=hours_ago),
                    finished_at=now - dt.timedelta(hours=hours_ago),
                    error=None if status is RunStatus.SUCCEEDED else "upstream answered 500",
                )
            )


async def old_series(client: httpx.AsyncClient, tokens: Tokens, database: Database) -> None:
    """Fish at Pyapon went silent 20 days ago; fish at San Pya 400 days ago has ended and
    silk at Phnom Srok is fresh; mango at Muse 20 days ago has a newer price."""
    today = clock.today("Asia/Yangon")

    def days_ago(days: int) -> str:
        return (today - dt.timedelta(days=days)).isoformat()

    for market, commodity, country, days in (
        ("pyapon", "fish", "MM", 20),
        ("muse", "mango", "MM", 20),
    ):
        body = price_body(country, "11900", publish=True, observed_on=days_ago(days))
        body.update(market=market, commodity=commodity)
        await post(client, tokens.admin, "/api/v1/prices", body)
    async with database.session() as s:
        ended = await report_price(
            s,
            data=PriceCreate(
                **{
                    **price_body("MM", "5000", observed_on=days_ago(3)),
                    "commodity": "fish",
                    "market": "yangon-san-pya",
                    "unit": "kg",
                    "currency": "MMK",
                }
            ),
            reporter=Actor.system("test"),
            alerts=NO_ALERTS,
            source="test",
        )
        # Stored as published 400 days ago, older than anything a CDE may submit.
        ended.observed_on = today - dt.timedelta(days=400)
        ended.status = PriceStatus.PUBLISHED
        s.add(ended)


async def test_today_sums_up_what_waits_in_each_staff_members_countries(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    await old_series(client, tokens, database)  # before anyone follows them: no deliveries
    await register(client, tokens, name="A", locale="my", phone="+959250000081")
    await register(
        client,
        tokens,
        name="K",
        locale="km",
        phone="+85512345681",
        country="KH",
        subscribe={"commodity": "silk", "market": "phnom-srok", "rule": "every"},
    )
    # Published prices fan out: one SMS each in MM and KH.
    await post(client, tokens.admin, "/api/v1/prices", price_body("MM", "12000", publish=True))
    await post(client, tokens.admin, "/api/v1/prices", price_body("KH", "150000", publish=True))
    # Pending: two MM prices, one KH price, and one MM field report.
    await post(client, tokens.cde_mm, "/api/v1/prices", price_body("MM", "12100"))
    await post(client, tokens.cde_mm, "/api/v1/prices", price_body("MM", "12200"))
    await post(client, tokens.cde_kh, "/api/v1/prices", price_body("KH", "151000"))
    async with database.session() as s:
        await report_price(
            s,
            data=PriceCreate(**price_body("MM", "12300")),
            reporter=Actor.producer(1),
            alerts=Alerts(settings),
            source="sms",
        )
    await lead(client, tokens, "MM")
    await lead(client, tokens, "KH")
    await lead(client, tokens, "KH")
    for body in (
        {"commodity": "tea", "market": "mandalay", "max_age_days": 3},  # never published
        {"commodity": "silk", "market": "phnom-srok", "max_age_days": 3},  # fresh
        {"commodity": "fish", "market": "siem-reap", "max_age_days": 7},  # never published
    ):
        await post(client, tokens.admin, "/api/v1/prices/watches", body)
    await sources_and_runs(database)
    async with database.session() as s:
        await s.exec(  # type: ignore[call-overload]
            sa.update(Delivery)
            .where(col(Delivery.country_code) == "MM")
            .values(status=DeliveryStatus.HELD)
        )
        day = clock.local_date(clock.utcnow(), "Asia/Yangon")
        s.add(SmsSpend(country_code="MM", day=day, spent=Decimal("0.40"), held=1))

    mm = await client.get("/api/v1/today", headers=tokens.cde_mm)
    assert mm.status_code == 200, mm.text
    body = mm.json()
    assert body["countries"] == ["MM"]
    assert body["pending_prices"]["count"] == 2 and body["pending_prices"]["oldest"]
    assert body["pending_reports"]["count"] == 1
    assert body["pending_leads"]["count"] == 1
    [budget] = body["budgets"]
    assert (budget["country"], budget["held"]) == ("MM", 1)
    assert (Decimal(budget["spent"]), Decimal(budget["left"])) == (Decimal("0.4"), Decimal("0.6"))
    assert [(r["job"], r["status"]) for r in body["failed_runs"]] == [("source:mm", "failed")]
    stale = body["stale_series"]
    assert [(s["commodity"], s["market"]) for s in stale["watched"]] == [("tea", "mandalay")]
    assert stale["silent_after_days"] == 14 and stale["silent_count"] == 1
    [silent] = stale["silent"]
    assert (silent["commodity"], silent["market"], silent["days"]) == ("fish", "pyapon", 20)
    assert body["unmapped_names"] == 2
    assert body["deliveries"] == [{"status": "held", "channel": "sms", "count": 1}]

    kh = (await client.get("/api/v1/today", headers=tokens.cde_kh)).json()
    assert kh["countries"] == ["KH"]
    assert (kh["pending_prices"]["count"], kh["pending_reports"]["count"]) == (1, 0)
    assert kh["pending_reports"]["oldest"] is None
    assert kh["pending_leads"]["count"] == 2
    assert [(r["job"], r["status"]) for r in kh["failed_runs"]] == [("source:kh", "abandoned")]
    kh_stale = kh["stale_series"]
    assert [(s["commodity"], s["market"]) for s in kh_stale["watched"]] == [("fish", "siem-reap")]
    assert kh_stale["silent_count"] == 0 and kh_stale["silent"] == []
    assert kh["unmapped_names"] == 1
    assert kh["deliveries"] == [{"status": "queued", "channel": "sms", "count": 1}]
    assert Decimal(kh["budgets"][0]["left"]) == Decimal("2")

    admin = (await client.get("/api/v1/today", headers=tokens.admin)).json()
    assert {"MM", "KH"} <= set(admin["countries"])
    assert admin["pending_prices"]["count"] == 3 and admin["pending_leads"]["count"] == 3
    # Runs and names of no country (exchange rates) are admins' to see.
    assert [r["job"] for r in admin["failed_runs"]] == ["source:mm", "source:kh", "source:fx"]
    assert admin["unmapped_names"] == 4

    viewer = await client.get("/api/v1/today", headers=tokens.viewer_mm)
    assert viewer.status_code == 200 and viewer.json()["pending_prices"]["count"] == 2


async def test_today_refuses_the_unsigned_and_unknown_parameters(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.get("/api/v1/today")).status_code == 401
    unknown = await client.get("/api/v1/today?country=KH", headers=tokens.cde_mm)
    assert unknown.status_code == 422
    empty = (await client.get("/api/v1/today", headers=tokens.cde_mm)).json()
    assert empty["pending_prices"] == {"count": 0, "oldest": None}
    assert empty["failed_runs"] == [] and empty["deliveries"] == []
