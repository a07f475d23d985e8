"""A Khmer weaver whose phone cannot draw Khmer gets the price alert in Latin letters: one GSM-7
segment where the Khmer one takes two UCS-2 segments, and pays for one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.alerts.content import Variant
from app.alerts.direct import queue_direct
from app.alerts.models import BroadcastKind, BroadcastText, ChannelName, Delivery
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.text.formatting import Script
from tests.alerts.conftest import NEVER_QUIET
from tests.conftest import Tokens
from tests.text.test_sms import BURMESE_134

SILK = {"commodity": "silk", "variety": "fine-yarn", "market": "phnom-srok"}


async def _weaver(
    client: httpx.AsyncClient, tokens: Tokens, name: str, phone: str, **extra: Any
) -> int:
    body = {
        "name": name,
        "country": "KH",
        "locale": "km",
        "phone": phone,
        "kind": "weaver",
        "quiet_hours": NEVER_QUIET,
        "consent": {"channel": "paper"},
        **extra,
    }
    created = await client.post("/api/v1/producers", headers=tokens.admin, json=body)
    assert created.status_code == 201, created.text
    producer_id = int(created.json()["id"])
    added = await client.post(
        f"/api/v1/producers/{producer_id}/subscriptions", headers=tokens.admin, json=SILK
    )
    assert added.status_code == 201, added.text
    return producer_id


async def _publish(client: httpx.AsyncClient, tokens: Tokens, price: str, day: dt.date) -> None:
    body = {
        **SILK,
        "price": price,
        "currency": "KHR",
        "unit": "kg",
        "price_type": "farmgate",
        "observed_on": day.isoformat(),
        "publish": True,
    }
    created = await client.post("/api/v1/prices", headers=tokens.cde_kh, json=body)
    assert created.status_code == 201, created.text


async def _sms_to(database: Database, producer_id: int) -> tuple[Delivery, BroadcastText]:
    async with database.session() as s:
        row = (
            await s.exec(
                select(Delivery, BroadcastText)
                .join(BroadcastText, col(BroadcastText.id) == Delivery.text_id)
                .where(Delivery.producer_id == producer_id, Delivery.channel == ChannelName.SMS)
            )
        ).one()
    return row[0], row[1]


async def test_a_latin_script_weaver_gets_one_gsm7_segment_where_khmer_takes_two(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, settings: Settings
) -> None:
    today = clock.today("Asia/Phnom_Penh")
    await _publish(client, tokens, "145000", today - dt.timedelta(days=1))
    sokha = await _weaver(client, tokens, "Sokha", "+85512000001", script="latin")
    dara = await _weaver(client, tokens, "Dara", "+85512000002")
    await _publish(client, tokens, "152000", today)

    latin, latin_text = await _sms_to(database, sokha)
    khmer, khmer_text = await _sms_to(database, dara)
    assert latin_text.text.startswith("Tlai sot (sot lit) nov Phnom Srok (")
    assert latin_text.text.endswith("): 152,000 riel/kilo (+4.8%)")
    assert (latin_text.encoding, latin.segments) == ("gsm7", 1)
    assert khmer_text.text.startswith("តម្លៃសូត្រ (សូត្រល្អិត) នៅភ្នំស្រុក (")
    assert (khmer_text.encoding, khmer.segments) == ("ucs2", 2)
    price = settings.sms_segment_price["KH"]
    assert (latin.cost, khmer.cost) == (price, 2 * price)


async def test_latin_is_refused_for_a_language_without_a_romanised_catalog(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "name": "Li Wei",
        "country": "MM",
        "locale": "zh",
        "phone": "+959250000777",
        "kind": "trader",
        "script": "latin",
    }
    refused = await client.post("/api/v1/producers", headers=tokens.admin, json=body)
    assert refused.status_code == 422
    assert "script latin is for my, km, lo" in refused.text
    created = await client.post(
        "/api/v1/producers", headers=tokens.admin, json={**body, "script": "unicode"}
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/producers/{created.json()['id']}"
    assert (
        await client.patch(url, headers=tokens.admin, json={"script": "latin"})
    ).status_code == 422
    # Burmese has a romanised catalog: the same producer switching to it may read Latin.
    changed = await client.patch(
        url, headers=tokens.admin, json={"locale": "my", "script": "latin"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["script"] == "latin"


@pytest.mark.parametrize(
    ("gateway", "expected"), [("kannel", 2), ("twilio", 3), ("android", 3), ("console", 3)]
)
async def test_a_delivery_costs_what_the_configured_gateway_bills(
    database: Database, settings: Settings, seeded: None, gateway: str, expected: int
) -> None:
    configured = settings.model_copy(update={"sms_gateway": gateway})
    variant = Variant("my", Script.UNICODE, "latin", False, ChannelName.SMS)
    async with database.session() as s:
        delivery = await queue_direct(
            s,
            kind=BroadcastKind.REPLY,
            key=f"reply:{gateway}",
            text=BURMESE_134,
            urn="tel:+959250000999",
            country="MM",
            producer=None,
            variant=variant,
            settings=configured,
            now=clock.utcnow(),
        )
        stored = await s.get(BroadcastText, delivery.text_id)
    assert stored is not None and (stored.text, stored.segments) == (BURMESE_134, expected)
    assert delivery.segments == expected
    assert delivery.cost == expected * settings.sms_segment_price["MM"]
