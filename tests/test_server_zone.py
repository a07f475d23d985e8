"""Every date the service means is a market's or a country's, never the server's.

Each path that asks what day it is runs with the server's local zone at UTC and at UTC+14, at
two moments where the days part: 23:30 UTC, when it is already the next day in Yangon, and
12:00 UTC, when a UTC+14 server is already in the next day and Yangon is not. Each expects the
same Yangon day in both zones, so the answers are the same wherever the server stands.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts import digests
from app.alerts.models import Delivery, DeliveryStatus
from app.alerts.triggers import Alerts
from app.catalogue.service import load_index
from app.commands.handle import Sender, handle_text
from app.commands.parse import load_parser
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import InvalidInput
from app.leads import service as leads
from app.leads.models import BuyerLead, LeadCreate, LeadKind, LeadStatus
from app.prices import stale
from app.prices.curation import create_price, validate
from app.prices.models import PriceCreate, PriceIn, PriceObservation, WatchCreate
from app.producers.addresses import find_by_urn
from app.sources.feed_leads import ingest_leads
from app.sources.ingest import Counts, external_key, ingest_prices
from app.sources.models import Source, SourceKind
from app.sources.records import LeadRecord, PriceRecord
from jobs.housekeeping import expire_leads
from tests.alerts.conftest import publish, register
from tests.conftest import Tokens, server_zone

ADMIN = Staff(user_id=0, name="ana", role=Role.ADMIN, countries=None)
# What the alerts need to know (prices, quiet hours); none of these tests reads the database URL.
SETTINGS = Settings(_env_file=None, env="test", secret_key="test-secret-key-not-a-placeholder")  # type: ignore[call-arg]
PHONE = "tel:+959250123456"
DAY = dt.timedelta(days=1)

# The moment the clock stands at, the day it is then in Yangon (UTC+06:30), and the next
# 18:45 in Yangon (a digest time), as UTC.
MOMENTS = {
    "23:30Z": (
        dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC),
        dt.date(2026, 11, 30),
        dt.datetime(2026, 11, 30, 12, 15, tzinfo=dt.UTC),
    ),
    "12:00Z": (
        dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
        dt.date(2026, 11, 29),
        dt.datetime(2026, 11, 29, 12, 15, tzinfo=dt.UTC),
    ),
}
NEXT_DIGEST = {day: evening for _, day, evening in MOMENTS.values()}
# The server's local zone; POSIX names invert the sign, so Etc/GMT-14 is UTC+14.
SERVER_ZONES = {"UTC": 0, "Etc/GMT-14": 14 * 3600}


@pytest.fixture(params=list(SERVER_ZONES))
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    with server_zone(request.param):
        # Proves the setting took: otherwise both runs would quietly be the same run.
        assert time.localtime().tm_gmtoff == SERVER_ZONES[request.param]
        yield request.param


@pytest.fixture(params=list(MOMENTS))
def yangon_day(
    request: pytest.FixtureRequest, server: str, stand_at: Callable[[dt.datetime], None]
) -> dt.date:
    """The clock stopped at one of MOMENTS on a server in one of SERVER_ZONES: Yangon's day."""
    moment, day, _ = MOMENTS[request.param]
    stand_at(moment)
    return day


async def ask(database: Database, text: str) -> list[str]:
    async with database.session() as s:
        parser = await load_parser(s)
        return await handle_text(
            s, parser=parser, text=text, sender=Sender(PHONE, "sms", "en"), settings=SETTINGS
        )


async def add_price(database: Database, market: str, observed_on: dt.date, price: str) -> None:
    async with database.session() as s:
        await create_price(
            s,
            staff=ADMIN,
            alerts=Alerts(SETTINGS),
            data=PriceCreate(
                commodity="mango",
                market=market,
                price=Decimal(price),
                currency="MMK",
                unit="kg",
                price_type="wholesale",
                observed_on=observed_on,
                publish=True,
            ),
        )


@pytest.mark.usefixtures("seeded")
async def test_a_field_report_is_dated_by_the_market_day(
    database: Database, yangon_day: dt.date
) -> None:
    await ask(database, "JOIN")
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        assert producer is not None
        producer.roles = ["reporter", "trusted_reporter"]
        s.add(producer)
    replies = await ask(database, "REPORT MANGO MUSE 12000 CNY/TON")
    assert replies == ["Thank you. Published: Mango Muse CN¥12,000/tonne."]
    async with database.session() as s:
        price = (await s.exec(select(PriceObservation))).one()
    assert price.observed_on == yangon_day


@pytest.mark.usefixtures("seeded")
async def test_a_price_is_old_after_fourteen_days_of_the_market(
    database: Database, yangon_day: dt.date
) -> None:
    await add_price(database, "mandalay", yangon_day - 14 * DAY, "3000")
    await add_price(database, "yangon-san-pya", yangon_day - 15 * DAY, "2800")
    fresh = await ask(database, "mango mandalay")
    old = await ask(database, "mango yangon san pya")
    assert "(old price)" not in fresh[0] and "(old price)" in old[0], (fresh, old)
    # A market without a price points to those with a recent one: Mandalay, not San Pya.
    nearest = await ask(database, "mango muse")
    assert nearest[0].startswith(
        "No recent price for Mango at Muse.\nNearest with a price: Mandalay."
    ), nearest


@pytest.mark.usefixtures("seeded")
async def test_a_series_goes_stale_by_the_market_day(
    database: Database, session: Any, yangon_day: dt.date
) -> None:
    await add_price(database, "muse", yangon_day - DAY, "3000")
    await add_price(database, "mandalay", yangon_day - 2 * DAY, "2800")
    for market in ("muse", "mandalay"):
        await stale.watch(
            session,
            data=WatchCreate(commodity="mango", market=market, max_age_days=1),
            staff=ADMIN,
        )
    found = await stale.stale_series(session, countries=["MM"])
    assert [(s.market, s.last_published) for s in found] == [("mandalay", yangon_day - 2 * DAY)]


@pytest.mark.usefixtures("seeded")
async def test_prices_of_the_market_day_are_accepted_and_later_ones_refused(
    session: Any, yangon_day: dt.date
) -> None:
    index = await load_index(session)

    def on(day: dt.date) -> PriceIn:
        return PriceIn(
            commodity="mango",
            market="muse",
            price=Decimal("12000"),
            currency="CNY",
            unit="tonne",
            price_type="border",
            observed_on=day,
        )

    for accepted in (yangon_day, yangon_day - 365 * DAY):
        assert validate(on(accepted), index).market.slug == "muse"
    with pytest.raises(InvalidInput, match=f"today in muse is {yangon_day}"):
        validate(on(yangon_day + DAY), index)
    with pytest.raises(InvalidInput, match="more than a year ago"):
        validate(on(yangon_day - 366 * DAY), index)


@pytest.mark.usefixtures("seeded")
async def test_leads_expire_after_the_last_day_of_their_country(
    database: Database, yangon_day: dt.date
) -> None:
    def offer(buyer: str, expires_on: dt.date) -> LeadCreate:
        return LeadCreate(
            kind=LeadKind.BUY,
            commodity="mango",
            quantity=Decimal("20"),
            unit="tonne",
            negotiable=True,
            buyer_name=buyer,
            contact="+86 692 000 0000",
            country="MM",
            expires_on=expires_on,
        )

    async with database.session() as s:
        lead = await leads.create_lead(
            s, data=offer("Ruili Fruit Trading Co.", yangon_day), staff=ADMIN
        )
        await leads.verify_lead(s, lead_id=lead.id or 0, staff=ADMIN, alerts=Alerts(SETTINGS))
        with pytest.raises(InvalidInput, match="already past"):
            await leads.create_lead(s, data=offer("Late Buyer", yangon_day - DAY), staff=ADMIN)
        s.add(
            BuyerLead(
                kind=LeadKind.BUY,
                commodity_id=lead.commodity_id,
                negotiable=True,
                buyer_name="Yesterday's Buyer",
                contact="+86 692 000 0002",
                country_code="MM",
                status=LeadStatus.VERIFIED,
                expires_on=yangon_day - DAY,
                created_by="ana",
            )
        )
    await ask(database, "JOIN")
    assert "Ruili Fruit Trading Co." in " ".join(await ask(database, "LEADS"))
    async with database.session() as s:
        counts = Counts()
        await expire_leads(s, counts)
    async with database.session() as s:
        rows = (await s.exec(select(BuyerLead).order_by(col(BuyerLead.id)))).all()
    assert counts.updated == 1
    assert [(x.buyer_name, x.status) for x in rows] == [
        ("Ruili Fruit Trading Co.", LeadStatus.VERIFIED),
        ("Yesterday's Buyer", LeadStatus.EXPIRED),
    ]


async def source_of(database: Database, kind: SourceKind, **extra: Any) -> Source:
    async with database.session() as s:
        source = Source(
            slug=kind.value,
            name=f"{kind.value} test source",
            kind=kind,
            country_code="MM",
            url="https://example.invalid/feed",
            schedule="0 6 * * *",
            created_by="ana",
            **extra,
        )
        s.add(source)
        await s.flush()
        await s.refresh(source)
        return source


@pytest.mark.usefixtures("seeded")
async def test_feed_leads_run_from_the_country_day(database: Database, yangon_day: dt.date) -> None:
    source = await source_of(database, SourceKind.RSS_LEADS, mapping={"expires_days": 14})
    records = [
        LeadRecord(key="a", line=1, title="Buying 20 tonne mango", summary=""),
        LeadRecord(
            key="b",
            line=2,
            title="Buying 5 tonne mango",
            summary="",
            published=yangon_day - 15 * DAY,
        ),
    ]
    counts = Counts()
    async with database.session() as s:
        await ingest_leads(
            s, source=source, records=records, counts=counts, actor=Actor.source("feed")
        )
    async with database.session() as s:
        stored = (await s.exec(select(BuyerLead))).one()
    assert stored.expires_on == yangon_day + 14 * DAY
    assert [p.reason for p in counts.problems] == [
        f"the lead of {yangon_day - 15 * DAY} has already expired"
    ]


@pytest.mark.usefixtures("seeded")
async def test_imported_prices_are_dated_and_announced_by_the_market_day(
    database: Database, yangon_day: dt.date
) -> None:
    source = await source_of(database, SourceKind.CSV_URL, trusted=True)
    announced: list[int] = []

    class Recorded:
        """The alerts a run asks for, by price, instead of the fan-out."""

        async def price_published(self, session: Any, *, price: PriceObservation) -> None:
            announced.append(price.id or 0)

    def row(key: str, market: str, day: dt.date) -> PriceRecord:
        return PriceRecord(
            key=key,
            line=len(key),
            market=market,
            commodity="mango",
            unit="kg",
            currency="MMK",
            price=Decimal("3000"),
            price_type="wholesale",
            observed_on=day,
        )

    records = [
        row("in-a-week", "muse", yangon_day - 7 * DAY),
        row("a-week-ago", "mandalay", yangon_day - 8 * DAY),
        row("tomorrow", "yangon-san-pya", yangon_day + DAY),  # a day's slack for the source
        row("two-days-on", "mandalay", yangon_day + 2 * DAY),
    ]
    counts = Counts()
    async with database.session() as s:
        await ingest_prices(
            s,
            source=source,
            records=records,
            counts=counts,
            actor=Actor.source("csv"),
            alerts=Recorded(),
        )
    assert (counts.inserted, counts.rejected) == (3, 1)
    assert [p.reason for p in counts.problems] == [f"date {yangon_day + 2 * DAY} is in the future"]
    async with database.session() as s:
        prices = (await s.exec(select(PriceObservation))).all()
    # Only the prices of the last seven market days alert anyone.
    assert sorted(p.external_key or "" for p in prices if p.id in announced) == [
        external_key(source, "in-a-week"),
        external_key(source, "tomorrow"),
    ]


async def test_digests_fall_due_at_the_producers_local_time(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    settings: Settings,
    stand_at: Callable[[dt.datetime], None],
    yangon_day: dt.date,
) -> None:
    producer = await register(
        client,
        tokens,
        name="Daw Aye",
        locale="en",
        phone="+959250000001",
        subscribe={
            "commodity": "mango",
            "market": "muse",
            "rule": "digest",
            "digest_time": "18:45",
        },
    )
    await publish(client, tokens, "12600")
    async with database.session() as s:
        merged = (await s.exec(select(Delivery).where(Delivery.producer_id == producer))).one()
        assert merged.status is DeliveryStatus.MERGED
        assert await digests.build_due_digests(s, settings) == 0
    due = merged.next_attempt_at
    assert due == NEXT_DIGEST[yangon_day]
    stand_at(due)
    async with database.session() as s:
        assert await digests.build_due_digests(s, settings) == 1
        digest = (
            await s.exec(select(Delivery).where(col(Delivery.status) == DeliveryStatus.QUEUED))
        ).one()
    assert digest.producer_id == producer
