"""The console's long lists through the whole app, signed in as a browser is: the producers
list, a search by phone, the price review list (its first page and a deep one) and the
comparison of two markets' prices over 90 days, against /healthz in the same process.

10 000 producers (each with a phone and a subscription), 10 000 pending prices, and a published
price a day at Muse (yuan per tonne) and Mandalay (kyat per viss) with the dollar rates that
compare them.
Each page must render in under 300 ms (p95); the ratios to /healthz are what to compare between
runs, as machine noise cancels out.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Final

import httpx
from sqlmodel import SQLModel, select

from app.accounts.actor import Actor
from app.accounts.models import Role, StaffUser
from app.accounts.users import create_user
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.prices.models import FxRate, PriceObservation, PriceStatus, PriceType
from bench.population import add_producers, bench_database
from bench.timing import sample, summary

PRODUCERS: Final = 10_000
PRICES: Final = 10_000
TARGET_MS: Final = 300.0
PRICE_REVIEW: Final = "/console/prices"
COMPARE: Final = "/console/prices/compare"
COMPARED_DAYS: Final = 90
NAME: Final = "bench-admin"
PASSWORD: Final = "a long bench password"  # noqa: S105 - a throwaway database's user
_CSRF: Final = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _populate(url: str) -> int:
    """The producers and prices; returns the id a deep review page starts below."""
    database = Database(url)
    try:
        async with database.session() as session:
            await add_producers(session, PRODUCERS)
            index = await load_index(session)
            mango, muse = index.commodity("mango").id or 0, index.market("muse").id or 0
            tonne = index.unit("tonne").id or 0
            day = clock.today("Asia/Yangon")
            prices = [
                PriceObservation(
                    commodity_id=mango,
                    market_id=muse,
                    country_code="MM",
                    price=Decimal(1000 + i),
                    currency="CNY",
                    unit_id=tonne,
                    price_type=PriceType.BORDER,
                    observed_on=day - dt.timedelta(days=i % 60),
                    status=PriceStatus.PENDING,
                    created_by="bench",
                )
                for i in range(PRICES)
            ]
            session.add_all(prices)
            session.add_all(_published(index, day))
            await session.flush()
            await create_user(
                session,
                name=NAME,
                role=Role.ADMIN,
                countries=[],
                locale="en",
                password=PASSWORD,
                actor=Actor.system("bench"),
            )
            # Signed in straight to the lists, not to choosing a password of one's own.
            user = (await session.exec(select(StaffUser).where(StaffUser.name == NAME))).one()
            user.password_is_temporary = False
            session.add(user)
            ids = sorted(p.id or 0 for p in prices)
            return ids[len(ids) // 10]  # nine tenths of the list lie above it
    finally:
        await database.dispose()


def _published(index: CatalogueIndex, day: dt.date) -> list[SQLModel]:
    """A published price a day at Muse and Mandalay, and the rates that convert them to kyat
    per kg, for the comparison page."""
    mango = index.commodity("mango").id or 0
    rows: list[SQLModel] = [
        FxRate(
            base="USD",
            quote=quote,
            rate=Decimal(rate),
            on_date=day - dt.timedelta(days=100),
            source="bench",
        )
        for quote, rate in (("MMK", "2100"), ("CNY", "7.2"))
    ]
    for market, country, currency, unit, base in (
        ("muse", "MM", "CNY", "tonne", 12000),
        ("mandalay", "MM", "MMK", "viss", 6500),
    ):
        rows += [
            PriceObservation(
                commodity_id=mango,
                market_id=index.market(market).id or 0,
                country_code=country,
                price=Decimal(base + 10 * i),
                currency=currency,
                unit_id=index.unit(unit).id or 0,
                price_type=PriceType.WHOLESALE,
                observed_on=day - dt.timedelta(days=i),
                status=PriceStatus.PUBLISHED,
                created_by="bench",
            )
            for i in range(COMPARED_DAYS)
        ]
    return rows


async def _sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/sign-in")
    token = _CSRF.search(page.text)
    assert token is not None, "the sign-in page has no CSRF field"
    signed = await client.post(
        "/console/sign-in",
        data={"username": NAME, "password": PASSWORD, "next": "", "csrf_token": token.group(1)},
    )
    if signed.status_code != 303:
        raise RuntimeError(f"signing in failed: {signed.status_code}")


def _timed(times: list[float]) -> dict[str, Any]:
    found = summary(times)
    return {**found, "under_target": found["p95_ms"] < TARGET_MS}


async def run(*, requests: int, database: str | None = None, **_: Any) -> dict[str, Any]:
    async with bench_database(database) as url:
        deep_cursor = await _populate(url)
        settings = Settings(_env_file=None, database_url=url, env="test")  # type: ignore[call-arg]
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _sign_in(client)

                def page(path: str, **params: str | int | list[str]) -> Any:
                    async def call() -> None:
                        answer = await client.get(path, params=params)
                        if answer.status_code != 200:
                            raise RuntimeError(f"{path} {params}: {answer.status_code}")

                    return call

                base = summary(await sample(page("/healthz"), n=requests))
                timings: dict[str, Any] = {
                    "producers_list": _timed(await sample(page("/console/producers"), n=requests)),
                    "producers_search_by_phone": _timed(
                        await sample(page("/console/producers", q="09 250 005 123"), n=requests)
                    ),
                }
                timings["prices_review_page_1"] = _timed(
                    await sample(page(PRICE_REVIEW), n=requests)
                )
                timings["prices_review_deep_page"] = _timed(
                    await sample(page(PRICE_REVIEW, cursor=deep_cursor), n=requests)
                )
                compared = page(
                    COMPARE,
                    commodity="mango",
                    market=["muse", "mandalay"],
                    unit="kg",
                    currency="MMK",
                    days=COMPARED_DAYS,
                )
                timings["prices_compare_two_markets"] = _timed(await sample(compared, n=requests))
    result: dict[str, Any] = {
        "benchmark": "console_lists",
        "engine": "postgresql" if database else "sqlite",
        "producers": PRODUCERS,
        "prices": PRICES,
        "requests_each": requests,
        "target_p95_ms": TARGET_MS,
        "baseline_healthz": base,
        **timings,
    }
    for key, value in timings.items():
        result[f"ratio_{key}_to_healthz"] = round(value["median_ms"] / base["median_ms"], 2)
    return result
