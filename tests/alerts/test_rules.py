"""Which subscriptions a price fires, leads and notices reach, and the local-time arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.alerts.models import Delivery
from app.catalogue.service import load_index
from app.core import clock
from app.core.db import Database
from app.producers.models import Address, Producer, Rule, Subscription
from tests.alerts.conftest import publish, register
from tests.conftest import Tokens


async def recipients(database: Database, price_id: int | None = None) -> dict[int, str]:
    """Producer -> delivery status, for the broadcast of one price (or all deliveries)."""
    from app.alerts.models import Broadcast

    async with database.session() as s:
        query = select(Delivery).order_by(col(Delivery.id))
        if price_id is not None:
            query = query.join(Broadcast, col(Broadcast.id) == Delivery.broadcast_id).where(
                Broadcast.price_id == price_id
            )
        return {d.producer_id: str(d.status) for d in (await s.exec(query)).all()}


def rule(name: str, **extra: Any) -> dict[str, Any]:
    return {"commodity": "mango", "market": "muse", "rule": name, **extra}


async def test_rules_fire_on_moves_and_crossings_not_on_every_price(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    moved = await register(
        client,
        tokens,
        name="M",
        locale="en",
        telegram=1,
        subscribe=rule("change_pct", threshold="5"),
    )
    above = await register(
        client,
        tokens,
        name="A",
        locale="en",
        telegram=2,
        subscribe=rule("above", threshold="13000"),
    )
    below = await register(
        client,
        tokens,
        name="B",
        locale="en",
        telegram=3,
        subscribe=rule("below", threshold="12000"),
    )
    digest = await register(
        client,
        tokens,
        name="D",
        locale="en",
        telegram=4,
        subscribe=rule("digest", digest_time="07:00"),
    )
    other = await register(
        client,
        tokens,
        name="O",
        locale="en",
        telegram=5,
        subscribe={"commodity": "mango", "market": "mandalay", "rule": "every"},
    )
    first = await publish(client, tokens, "12600")  # no previous price: only the digest
    assert await recipients(database, first) == {digest: "merged"}
    up = await publish(client, tokens, "13300")  # +5.6%, crosses 13 000 upwards
    assert await recipients(database, up) == {moved: "queued", above: "queued", digest: "merged"}
    still_above = await publish(client, tokens, "13400")  # +0.8%, already above: nothing
    assert await recipients(database, still_above) == {digest: "merged"}
    down = await publish(client, tokens, "11900")  # -11%, crosses 12 000 downwards
    assert await recipients(database, down) == {moved: "queued", below: "queued", digest: "merged"}
    assert other not in await recipients(database)


async def test_only_consenting_producers_with_an_address_are_messaged(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    ok = await register(client, tokens, name="Ok", locale="en", phone="+959250000071")
    dead = await register(client, tokens, name="Dead", locale="en", phone="+959250000073")
    async with database.session() as s:  # their only number was reported out of service
        address = (await s.exec(select(Address).where(Address.producer_id == dead))).one()
        address.active = False
        s.add(address)
    created = await client.post(
        "/api/v1/producers",
        headers=tokens.admin,
        json={
            "name": "No consent",
            "country": "MM",
            "locale": "en",
            "kind": "farmer",
            "phone": "+959250000072",
        },
    )
    silent = created.json()["id"]
    await client.post(
        f"/api/v1/producers/{silent}/subscriptions", headers=tokens.admin, json=rule("every")
    )
    await publish(client, tokens, "12600")
    assert await recipients(database) == {ok: "queued"}
    assert dead != silent


async def test_a_verified_lead_reaches_producers_who_want_leads_in_its_country(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    wants = await register(
        client,
        tokens,
        name="W",
        locale="zh",
        telegram=11,
        subscribe={"commodity": "mango", "rule": "every", "leads": True},
    )
    await register(
        client,
        tokens,
        name="N",
        locale="en",
        telegram=12,
        subscribe={"commodity": "mango", "rule": "every"},
    )
    lead = await client.post(
        "/api/v1/leads",
        headers=tokens.cde_mm,
        json={
            "kind": "buy",
            "commodity": "mango",
            "quantity": "20",
            "unit": "tonne",
            "price": "12000",
            "currency": "CNY",
            "buyer_name": "Ruili Fruit Co",
            "contact": "+8613800000000",
            "country": "MM",
        },
    )
    assert lead.status_code == 201, lead.text
    assert await recipients(database) == {}  # pending leads reach nobody
    verified = await client.post(f"/api/v1/leads/{lead.json()['id']}/verify", headers=tokens.cde_mm)
    assert verified.status_code == 200, verified.text
    assert await recipients(database) == {wants: "queued"}
    page = (await client.get("/api/v1/deliveries", headers=tokens.cde_mm)).json()
    assert (
        "Ruili Fruit Co" in page["items"][0]["text"]
        and "+8613800000000" in page["items"][0]["text"]
    )


@pytest.mark.parametrize(
    ("utc", "window", "ends"),
    [
        ("2026-11-28T15:00", "21:00-06:00", "2026-11-28T23:30"),  # 21:30 Yangon: quiet till 06:00
        ("2026-11-28T20:00", "21:00-06:00", "2026-11-28T23:30"),  # 02:30 Yangon, after midnight
        ("2026-11-28T00:00", "21:00-06:00", None),  # 06:30 Yangon
        ("2026-11-28T06:00", "12:00-13:00", "2026-11-28T06:30"),  # 12:30 Yangon, lunch
        ("2026-11-28T06:00", "00:00-00:00", None),  # no quiet hours at all
    ],
)
def test_quiet_hours_in_the_producers_time_zone(utc: str, window: str, ends: str | None) -> None:
    now = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    got = clock.quiet_until(now, "Asia/Yangon", window)
    assert got == (None if ends is None else dt.datetime.fromisoformat(ends).replace(tzinfo=dt.UTC))


def test_local_day_and_next_digest_time() -> None:
    now = dt.datetime(2026, 11, 28, 18, 0, tzinfo=dt.UTC)  # 01:00 on the 29th in Hanoi
    assert clock.local_date(now, "Asia/Ho_Chi_Minh") == dt.date(2026, 11, 29)
    assert clock.local_day_start(now, "Asia/Ho_Chi_Minh") == dt.datetime(
        2026, 11, 28, 17, 0, tzinfo=dt.UTC
    )
    assert clock.next_local_time(now, "Asia/Ho_Chi_Minh", "07:00") == dt.datetime(
        2026, 11, 29, 0, 0, tzinfo=dt.UTC
    )
    assert clock.next_local_time(now, "Asia/Ho_Chi_Minh", "01:00") == dt.datetime(
        2026, 11, 29, 18, 0, tzinfo=dt.UTC
    )


async def test_many_different_quiet_hours_still_fan_out(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    """Hundreds of distinct quiet-hour windows become one literal table of that many rows
    (beyond SQLite's 500 terms in one compound SELECT)."""
    first = await register(client, tokens, name="P", locale="en", phone="+959250000090")
    async with database.session() as s:
        mango = (await load_index(s)).commodity("mango").id or 0
        template = await s.get(Producer, first)
        assert template is not None
        for i in range(1, 600):
            window = f"{i // 60:02d}:{i % 60:02d}-{(i // 60 + 7) % 24:02d}:00"  # all distinct
            p = Producer(
                name=f"P{i}",
                country_code="MM",
                locale="en",
                kind=template.kind,
                quiet_hours=window,
                consent_at=template.consent_at,
            )
            s.add(p)
            await s.flush()
            s.add(Address(producer_id=p.id or 0, urn=f"tel:+95925001{i:04d}"))
            s.add(Subscription(producer_id=p.id or 0, commodity_id=mango, rule=Rule.EVERY))
    await publish(client, tokens, "12600")
    assert len(await recipients(database)) == 600
