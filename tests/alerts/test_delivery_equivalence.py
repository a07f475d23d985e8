"""The fan-out's set-based INSERT ... SELECT and the single-delivery path (app.alerts.delivery,
used by digests, SMS fallbacks and replies) write identical rows for the same inputs.

One table of producers covers the cases: quiet hours inside, outside, at their edges and over
midnight; daily caps reached or not (counting only today's capped deliveries that are sent or
waiting); digest rules with and without a chosen time; segment prices per country, one country
without; Telegram, SMS, both, and a dead chat; and every variant of reading (Unicode, Zawgyi,
native digits, plain SMS, Latin letters). Each is fanned out at two moments for a price alert,
a notice and an urgent notice, and the rows compared column by column. The last tests plant a
difference in either path and show that the comparison reports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.alerts import delivery, fanout
from app.alerts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastText,
    ChannelName,
    Delivery,
    DeliveryStatus,
)
from app.alerts.tables import DELIVERY
from app.catalogue.models import Country
from app.catalogue.service import load_demo_catalogue, load_index
from app.core import clock
from app.core.config import Settings
from app.core.db import Database, run_core
from app.notices.models import Notice, NoticeStatus
from app.prices.models import PriceObservation, PriceStatus, PriceType
from app.producers.models import Address, Digits, Producer, ProducerKind, Rule, Subscription
from app.text.formatting import Script

# 22:30 in Yangon, 23:00 in Phnom Penh, Vientiane and Ho Chi Minh City.
LATE_EVENING = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)
# 05:45 in Yangon (still quiet till 06:00), 06:15 further east, the next day.
EARLY_MORNING = dt.datetime(2026, 3, 10, 23, 15, tzinfo=dt.UTC)

PRICES = {"MM": Decimal("0.03"), "KH": Decimal("0.05"), "VN": Decimal("0.02")}  # none for LA


@dataclass(frozen=True)
class Reader:
    """One producer of the table."""

    name: str
    country: str
    locale: str
    addresses: tuple[str, ...]  # "tg", "tel", "dead-tg" (a chat no longer active)
    quiet_hours: str = "00:00-00:00"
    script: Script = Script.UNICODE
    digits: Digits = Digits.LATIN
    plain_sms: bool = False
    daily_cap: int = 5
    rules: tuple[tuple[Rule, str | None], ...] = ((Rule.EVERY, None),)
    # Deliveries of an earlier broadcast: (capped, status, "today" or "yesterday").
    earlier: tuple[tuple[bool, DeliveryStatus, str], ...] = ()


SENT, MERGED, CANCELLED = DeliveryStatus.SENT, DeliveryStatus.MERGED, DeliveryStatus.CANCELLED

READERS = (
    Reader("Daw Aye", "MM", "my", ("tel",), "21:00-06:00"),
    Reader("Ko Min", "MM", "my", ("tg",), "21:00-06:00", script=Script.ZAWGYI),
    Reader("U Hla", "MM", "my", ("tg", "tel"), "01:00-05:00", digits=Digits.NATIVE),
    Reader("Ma Su", "MM", "my", ("dead-tg", "tel"), "22:00-23:00", script=Script.LATIN),
    Reader("Sok", "KH", "km", ("tel",), "23:00-07:00", digits=Digits.NATIVE),
    Reader("Dara", "KH", "km", ("tel",), "22:00-23:00", script=Script.LATIN),
    Reader("Lan", "VN", "vi", ("tel",), plain_sms=True),
    Reader("Noy", "LA", "lo", ("tel",), "21:00-06:00"),
    Reader("Chen", "MM", "zh", ("tel",), "21:00-06:00", daily_cap=0),
    Reader(
        "Thida",
        "MM",
        "en",
        ("tg",),
        "21:00-06:00",
        daily_cap=1,
        rules=((Rule.EVERY, None), (Rule.DIGEST, "07:30")),
        earlier=((True, SENT, "today"),),
    ),
    Reader(
        "Mya",
        "MM",
        "en",
        ("tel",),
        daily_cap=2,
        earlier=((True, SENT, "today"), (True, MERGED, "today"), (True, CANCELLED, "today")),
    ),
    Reader("Nyein", "MM", "my", ("tel",), daily_cap=1, earlier=((True, SENT, "yesterday"),)),
    Reader("Aung", "MM", "my", ("tel",), daily_cap=1, earlier=((False, SENT, "today"),)),
    Reader("Vuthy", "KH", "km", ("tg",), rules=((Rule.DIGEST, "07:30"),)),
    Reader("Phan", "VN", "vi", ("tel",), rules=((Rule.DIGEST, None),)),
    Reader("Kyaw", "MM", "my", ()),  # nobody to send to: no row on either path
)

# The columns compared: every column of a delivery but its id.
COLUMNS = [column.name for column in DELIVERY.columns if column.name != "id"]


@dataclass(frozen=True)
class Scenario:
    audience: str  # price | notice | urgent notice
    moment: dt.datetime
    # The (channel, quiet, merged) cases the rows must cover, so that no case goes untested.
    covers: frozenset[tuple[ChannelName, bool, bool]]


TG, SMS = ChannelName.TELEGRAM, ChannelName.SMS
EVERY_CASE = frozenset(delivery.SHAPES)
SENT_NOW = frozenset({(TG, False, False), (SMS, False, False)})
UNMERGED = frozenset(key for key in EVERY_CASE if not key[2])

SCENARIOS = [
    Scenario("price", LATE_EVENING, EVERY_CASE),
    Scenario("price", EARLY_MORNING, EVERY_CASE),
    Scenario("notice", LATE_EVENING, UNMERGED),
    Scenario("notice", EARLY_MORNING, UNMERGED),
    Scenario("urgent notice", LATE_EVENING, SENT_NOW),
    Scenario("urgent notice", EARLY_MORNING, SENT_NOW),
]


def _urn(kind: str, number: int, country: str) -> str:
    prefix = {"MM": "+95925", "KH": "+85512", "VN": "+8490", "LA": "+85620"}[country]
    return f"telegram:{700000 + number}" if "tg" in kind else f"tel:{prefix}{number:07d}"


async def _populate(session: AsyncSession, moment: dt.datetime) -> dict[str, Producer]:
    """The table's producers, their addresses, subscriptions and earlier deliveries."""
    await load_demo_catalogue(session)
    index = await load_index(session)
    mango, muse = index.commodity("mango").id or 0, index.market("muse").id or 0
    zones = {c.code: c.timezone for c in (await session.exec(select(Country))).all()}
    earlier = Broadcast(
        kind=BroadcastKind.PRICE, key="price:earlier", countries=["MM"], payload={}, created_by="t"
    )
    session.add(earlier)
    await session.flush()
    earlier_text = BroadcastText(
        broadcast_id=earlier.id or 0,
        locale="en",
        script=Script.UNICODE,
        digits="latin",
        plain_sms=False,
        channel=SMS,
        text="earlier",
        segments=1,
        encoding="gsm7",
    )
    session.add(earlier_text)
    producers: dict[str, Producer] = {}
    for number, reader in enumerate(READERS):
        producer = Producer(
            name=reader.name,
            country_code=reader.country,
            locale=reader.locale,
            script=reader.script,
            digits=reader.digits,
            plain_sms=reader.plain_sms,
            kind=ProducerKind.FARMER,
            quiet_hours=reader.quiet_hours,
            daily_cap=reader.daily_cap,
            consent_at=moment - dt.timedelta(days=30),
        )
        session.add(producer)
        await session.flush()
        assert producer.id is not None
        producers[reader.name] = producer
        for kind in reader.addresses:
            active = not kind.startswith("dead")
            session.add(
                Address(
                    producer_id=producer.id, urn=_urn(kind, number, reader.country), active=active
                )
            )
        for rule, digest_time in reader.rules:
            session.add(
                Subscription(
                    producer_id=producer.id,
                    commodity_id=mango,
                    market_id=muse,
                    rule=rule,
                    digest_time=digest_time,
                )
            )
        midnight = clock.local_day_start(moment, zones[reader.country])
        for capped, status, day in reader.earlier:
            at = midnight + dt.timedelta(minutes=1 if day == "today" else -1)
            # One earlier broadcast per delivery: the outbox keys deliveries by broadcast.
            older = Broadcast(
                kind=BroadcastKind.PRICE,
                key=f"price:earlier:{producer.id}:{capped}:{status}:{day}",
                countries=[reader.country],
                payload={},
                created_by="t",
            )
            session.add(older)
            await session.flush()
            session.add(
                Delivery(
                    broadcast_id=older.id or 0,
                    producer_id=producer.id,
                    country_code=reader.country,
                    channel=SMS,
                    text_id=earlier_text.id or 0,
                    status=status,
                    capped=capped,
                    created_at=at,
                    updated_at=at,
                )
            )
    await session.flush()
    return producers


async def _audience(session: AsyncSession, kind: str, moment: dt.datetime) -> fanout.Audience:
    if kind == "price":
        index = await load_index(session)
        price = PriceObservation(
            commodity_id=index.commodity("mango").id or 0,
            market_id=index.market("muse").id or 0,
            country_code="MM",
            price=Decimal("12600"),
            currency="CNY",
            unit_id=index.unit("tonne").id or 0,
            price_type=PriceType.BORDER,
            observed_on=clock.local_date(moment, "Asia/Yangon"),
            status=PriceStatus.PUBLISHED,
            created_by="t",
            reviewed_by="t",
        )
        session.add(price)
        await session.flush()
        return await fanout.price_audience(session, price)
    notice = Notice(
        texts={
            "en": "Muse gate closed today.",
            "my": "မူဆယ်ဂိတ် ယနေ့ ပိတ်သည်။",
            "km": "ច្រកទ្វារបិទថ្ងៃនេះ។",
            "vi": "Cửa khẩu đóng cửa hôm nay.",
            "lo": "ດ່ານປິດມື້ນີ້.",
            "zh": "口岸今日关闭。",
        },
        countries=["MM", "KH", "VN", "LA"],
        urgent=kind == "urgent notice",
        status=NoticeStatus.SENT,
        created_by="t",
    )
    session.add(notice)
    await session.flush()
    return await fanout.notice_audience(session, notice)


async def _rows(session: AsyncSession, broadcast_id: int) -> dict[tuple[Any, Any], dict[str, Any]]:
    found = await run_core(
        session, sa.select(DELIVERY).where(DELIVERY.c.broadcast_id == broadcast_id)
    )
    rows = [dict(row._mapping) for row in found]
    return {(row["producer_id"], row["channel"]): {c: row[c] for c in COLUMNS} for row in rows}


def differences(
    by_sql: dict[tuple[Any, Any], dict[str, Any]], by_one: dict[tuple[Any, Any], dict[str, Any]]
) -> list[str]:
    """Every way the two sets of rows differ, one line each."""
    found = []
    for key in sorted(by_sql.keys() | by_one.keys(), key=str):
        sql_row, one_row = by_sql.get(key), by_one.get(key)
        if sql_row is None or one_row is None:
            found.append(f"{key}: only the {'fan-out' if one_row is None else 'single'} path")
            continue
        for column in COLUMNS:
            if sql_row[column] != one_row[column]:
                found.append(f"{key} {column}: {sql_row[column]!r} != {one_row[column]!r}")
    return found


@dataclass(frozen=True)
class Compared:
    differences: list[str]
    rows: dict[tuple[Any, Any], dict[str, Any]]
    cases: set[tuple[ChannelName, bool, bool]]


async def compare(
    database: Database,
    settings: Settings,
    scenario: Scenario,
    stand_at: Callable[[dt.datetime], None],
) -> Compared:
    """Fan out the scenario's broadcast, then build each recipient's delivery again one at a
    time (after removing the fan-out's), and compare the two sets of rows."""
    stand_at(scenario.moment)
    now = scenario.moment
    async with database.session() as session:
        producers = await _populate(session, now)
        audience = await _audience(session, scenario.audience, now)
        broadcast = await fanout.fan_out(session, audience, settings, created_by="t", now=now)
        assert broadcast.id is not None
        by_sql = await _rows(session, broadcast.id)
        await run_core(session, sa.delete(DELIVERY).where(DELIVERY.c.broadcast_id == broadcast.id))
        zones = {c.code: c.timezone for c in (await session.exec(select(Country))).all()}
        cases = set()
        for reader in READERS:
            producer = producers[reader.name]
            reach = await delivery.preferred_address(session, producer.id or 0)
            if reach is None:
                continue
            digest_times = [time for rule, time in reader.rules if rule is Rule.DIGEST]
            immediate = audience.kind is not BroadcastKind.PRICE or any(
                rule is not Rule.DIGEST for rule, _ in reader.rules
            )
            built = await delivery.deliver(
                session,
                broadcast=broadcast,
                producer=producer,
                reach=reach,
                settings=settings,
                now=now,
                capped=audience.capped,
                immediate=immediate,
                digest_time=min((t for t in digest_times if t), default=None),
            )
            quiet = not audience.urgent and (
                clock.quiet_until(now, zones[reader.country], reader.quiet_hours) is not None
            )
            cases.add((built.channel, quiet, built.status is DeliveryStatus.MERGED))
        by_one = await _rows(session, broadcast.id)
    return Compared(differences(by_sql, by_one), by_sql, cases)


@pytest.fixture
def priced(settings: Settings) -> Settings:
    return settings.model_copy(update={"sms_segment_price": PRICES, "digest_time": "18:00"})


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=[f"{s.audience}-{s.moment:%H%M}" for s in SCENARIOS]
)
async def test_the_fan_out_and_the_single_path_write_identical_rows(
    database: Database,
    priced: Settings,
    scenario: Scenario,
    stand_at: Callable[[dt.datetime], None],
) -> None:
    compared = await compare(database, priced, scenario, stand_at)
    assert compared.differences == []
    assert compared.cases == scenario.covers
    addressed = [reader for reader in READERS if reader.addresses]
    assert len(compared.rows) == len(addressed)
    costs = {row["country_code"] for row in compared.rows.values() if row["cost"]}
    assert costs == {"MM", "KH", "VN"}  # and Laos, without a segment price, costs nothing


def test_every_column_is_compared() -> None:
    """A difference in any one column of one row is reported."""
    row = {column: 1 for column in COLUMNS}
    for column in COLUMNS:
        planted = {**row, column: 2}
        assert differences({(1, "sms"): row}, {(1, "sms"): planted}) == [
            f"(1, 'sms') {column}: 1 != 2"
        ]
    assert differences({(1, "sms"): row}, {}) == ["(1, 'sms'): only the fan-out path"]


def _silent_sms(channel: ChannelName, *, quiet: bool, merged: bool) -> delivery.Shape:
    """The single path's shapes, with SMS in quiet hours sent silently: a planted rule."""
    shape = delivery.SHAPES[(channel, quiet, merged)]
    if channel is SMS and quiet and not merged:
        return delivery.Shape(shape.status, silent=True, due=shape.due, charged=shape.charged)
    return shape


def _costlier_sql(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The fan-out's columns, with every SMS a segment dearer: a planted rule."""
    decided = REAL_DECIDED_SQL(*args, **kwargs)
    return {**decided, "cost": decided["cost"] + kwargs["segment_price"]}


REAL_DECIDED_SQL = delivery.decided_sql


@pytest.mark.parametrize(
    ("target", "planted", "column"),
    [
        ("shape_of", _silent_sms, "silent"),
        ("decided_sql", _costlier_sql, "cost"),
        ("segment_price", lambda settings, country: Decimal("0.07"), "cost"),
    ],
    ids=["single-path-silence", "fan-out-cost", "one-price-for-both-paths"],
)
async def test_a_planted_difference_is_reported(
    database: Database,
    priced: Settings,
    stand_at: Callable[[dt.datetime], None],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    planted: Callable[..., Any],
    column: str,
) -> None:
    if target == "segment_price":
        # Both paths read the price through delivery.segment_price: changing it changes both,
        # so the rows stay identical, and the planted price shows in them.
        monkeypatch.setattr(delivery, target, planted)
        compared = await compare(database, priced, SCENARIOS[0], stand_at)
        assert compared.differences == []
        assert {row["cost"] for row in compared.rows.values() if row["segments"] == 1} == {
            Decimal("0.07")
        }
        return
    monkeypatch.setattr(delivery, target, planted)
    compared = await compare(database, priced, SCENARIOS[0], stand_at)
    assert compared.differences, "a planted difference went unnoticed"
    assert all(f" {column}: " in line for line in compared.differences), compared.differences
