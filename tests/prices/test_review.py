"""The review queue's services: what an outlier was compared with, deciding on several prices at
once, the source filter and the CSV export of a filtered list."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import httpx
import pytest

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.triggers import Alerts
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Forbidden, InvalidInput
from app.prices import review
from app.prices.curation import get_price
from app.prices.models import PriceStatus
from app.prices.review import Decision
from app.text.csvfile import write_csv
from tests.conftest import Tokens
from tests.prices.test_prices_api import TODAY, muse_mango

CDE_MM = Staff(user_id=0, name="thida", role=Role.CDE, countries=frozenset({"MM"}))
VIEWER_MM = Staff(user_id=0, name="min", role=Role.VIEWER, countries=frozenset({"MM"}))


async def add(client: httpx.AsyncClient, headers: dict[str, str], **fields: object) -> int:
    created = await client.post("/api/v1/prices", headers=headers, json=muse_mango(**fields))
    assert created.status_code == 201, created.text
    price_id: int = created.json()["id"]
    return price_id


async def history(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for i, value in enumerate(("12000", "12300", "11900", "12100", "12400")):
        day = (TODAY - dt.timedelta(days=10 - i)).isoformat()
        await add(client, tokens.cde_mm, price=value, observed_on=day, publish=True)


async def test_an_outlier_shows_the_median_it_was_compared_with(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await history(client, tokens)
    outlier = await add(client, tokens.cde_mm, price="40000")
    plain = await add(client, tokens.cde_mm, price="12200")
    async with database.read_session() as s:
        prices = [await get_price(s, price_id=i, staff=CDE_MM) for i in (outlier, plain)]
        compared = await review.compared_with(s, prices)
    assert compared == {outlier: review.Comparison(Decimal("12100"), 5, 30)}


async def test_deciding_on_several_prices_does_each_and_reports_the_refused(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    await history(client, tokens)
    good = await add(client, tokens.cde_mm, price="12250")
    outlier = await add(client, tokens.cde_mm, price="40000")
    kh = await add(
        client,
        tokens.cde_kh,
        commodity="silk",
        variety=None,
        market="phnom-srok",
        currency="KHR",
        unit="kg",
        price="150000",
        price_type="wholesale",
    )
    async with database.session() as s:
        outcomes = await review.decide_many(
            s,
            price_ids=[good, outlier, kh, good, 999999],
            decision=Decision.PUBLISH,
            staff=CDE_MM,
            alerts=Alerts(settings),
        )
    assert [(o.price_id, o.done, o.error) for o in outcomes] == [
        (good, True, None),
        (outlier, False, "invalid_input"),
        (kh, False, "forbidden"),
        (999999, False, "not_found"),
    ]
    assert "median 12175" in (outcomes[1].detail or "")  # the good one is history now
    async with database.read_session() as s:
        statuses = [
            (await get_price(s, price_id=i, staff=Staff(0, "a", Role.ADMIN, None))).status
            for i in (good, outlier, kh)
        ]
    assert statuses == [PriceStatus.PUBLISHED, PriceStatus.PENDING, PriceStatus.PENDING]
    audit = (await client.get(f"/api/v1/prices/{good}/history", headers=tokens.cde_mm)).json()
    assert [a["action"] for a in audit][:1] == ["price.publish"]  # audited as through the API

    async with database.session() as s:
        rejected = await review.decide_many(
            s,
            price_ids=[outlier, good],
            decision=Decision.REJECT,
            staff=CDE_MM,
            alerts=Alerts(settings),
            reason="  viss read as kg  ",
        )
    assert [o.done for o in rejected] == [True, True]  # a published price may be withdrawn
    async with database.read_session() as s:
        found = await get_price(s, price_id=outlier, staff=CDE_MM)
    assert (found.status, found.reject_reason) == (PriceStatus.REJECTED, "viss read as kg")


@pytest.mark.parametrize(
    ("ids", "reason", "message"),
    [
        ([], "typo", "select at least one price"),
        ([1], None, "reason"),
        ([1], "   ", "reason"),
        ([1], "x" * 501, "reason"),
        (list(range(1, 202)), "typo", "at most 200"),
    ],
)
async def test_bad_selections_are_refused_whole(
    database: Database, settings: Settings, ids: list[int], reason: str | None, message: str
) -> None:
    async with database.session() as s:
        with pytest.raises(InvalidInput, match=message):
            await review.decide_many(
                s,
                price_ids=ids,
                decision=Decision.REJECT,
                staff=CDE_MM,
                alerts=Alerts(settings),
                reason=reason,
            )


async def test_viewers_decide_nothing(database: Database, settings: Settings) -> None:
    async with database.session() as s:
        with pytest.raises(Forbidden):
            await review.decide_many(
                s,
                price_ids=[1],
                decision=Decision.PUBLISH,
                staff=VIEWER_MM,
                alerts=Alerts(settings),
            )


async def test_the_source_filter_and_the_csv_export(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await add(client, tokens.cde_mm, price="12000", note='=HYPERLINK("http://x")')
    await add(
        client,
        tokens.cde_kh,
        commodity="silk",
        variety=None,
        market="phnom-srok",
        currency="KHR",
        unit="kg",
        price="150000",
        price_type="wholesale",
    )
    listed = await client.get("/api/v1/prices?source=api", headers=tokens.cde_mm)
    assert [p["market"] for p in listed.json()["items"]] == ["muse"]
    none = await client.get("/api/v1/prices?source=sms", headers=tokens.cde_mm)
    assert none.json()["items"] == []
    reports = await client.get("/api/v1/prices?reports=true", headers=tokens.cde_mm)
    assert reports.json()["items"] == []  # a CDE's prices are no field reports
    staff = await client.get("/api/v1/prices?reports=false", headers=tokens.cde_mm)
    assert [p["market"] for p in staff.json()["items"]] == ["muse"]

    exported = await client.get("/api/v1/prices/export?status=pending", headers=tokens.cde_mm)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(r["market"], r["country"], r["price"]) for r in rows] == [("muse", "MM", "12000.0000")]
    assert rows[0]["note"].startswith("'=")  # a formula is shown, never run
    everyone = await client.get("/api/v1/prices/export", headers=tokens.admin)
    assert everyone.content.decode("utf-8-sig").count("\r\n") == 3  # header and two prices
    refused = await client.get("/api/v1/prices/export?country=KH", headers=tokens.cde_mm)
    assert refused.status_code == 403
    bad = await client.get("/api/v1/prices/export?status=maybe", headers=tokens.cde_mm)
    assert bad.status_code == 422


def test_csv_cells_that_would_run_as_formulas_are_defused() -> None:
    content = write_csv(["a", "b"], [["=1+1", "-5"], ["@SUM(A1)", "မူဆယ်"], [None, "+x"]])
    text = content.decode("utf-8")
    assert text == "\ufeffa,b\r\n'=1+1,-5\r\n'@SUM(A1),မူဆယ်\r\n,'+x\r\n"
