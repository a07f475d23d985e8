"""Burmese, Khmer and Lao in Latin letters: SCRIPT LATIN by SMS, replies from the romanised
catalogs and catalogue names, and romanised questions ("tlai svay") understood."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.triggers import Alerts
from app.commands.handle import Sender, handle_text
from app.commands.keywords import Intent
from app.commands.models import InboundMessage
from app.commands.parse import load_parser
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.prices.curation import create_price
from app.prices.models import PriceCreate
from app.producers.addresses import find_by_urn
from app.text.formatting import Script
from app.text.sms import Encoding, analyse

ADMIN = Staff(user_id=0, name="ana", role=Role.ADMIN, countries=None)
SOKHA = "tel:+85512345678"  # a Cambodian number: JOIN registers it in Khmer


async def _ask(database: Database, settings: Settings, text: str, urn: str = SOKHA) -> list[str]:
    async with database.session() as s:
        parser = await load_parser(s)
        return await handle_text(
            s, parser=parser, text=text, sender=Sender(urn, "sms"), settings=settings
        )


@pytest.fixture
async def mango_in_siem_reap(database: Database, settings: Settings, seeded: None) -> None:
    today = clock.today("Asia/Phnom_Penh")
    async with database.session() as s:
        for days, price in ((3, "4000"), (1, "4200")):
            await create_price(
                s,
                staff=ADMIN,
                alerts=Alerts(settings),
                data=PriceCreate(
                    commodity="mango",
                    market="siem-reap",
                    price=Decimal(price),
                    currency="KHR",
                    unit="kg",
                    price_type="retail",
                    observed_on=today - dt.timedelta(days=days),
                    publish=True,
                ),
            )


async def _script(database: Database, urn: str = SOKHA) -> Script:
    async with database.session() as s:
        producer = await find_by_urn(s, urn)
        assert producer is not None
        return Script(producer.script)


@pytest.mark.usefixtures("mango_in_siem_reap")
async def test_script_latin_by_sms_switches_replies_to_ascii_and_back(
    database: Database, settings: Settings
) -> None:
    await _ask(database, settings, "JOIN")
    native = await _ask(database, settings, "តម្លៃស្វាយ សៀមរាប")
    assert "ស្វាយ" in native[0] and analyse(native[0]).encoding is Encoding.UCS2

    assert await _ask(database, settings, "SCRIPT LATIN") == ["Pdo aksar haey."]
    assert await _script(database) is Script.LATIN
    latin = await _ask(database, settings, "tlai svay Siem Reap")
    assert latin[0].startswith("svay nov Siem Reap: 4,200 riel/kilo"), latin
    assert all(reply.isascii() and analyse(reply).encoding is Encoding.GSM7 for reply in latin)
    assert analyse(latin[0]).segments == 1

    # Back to the language's own script, named as the language or as "native".
    assert await _ask(database, settings, "SCRIPT KHMER") == ["បានប្ដូរអក្សរ។"]
    assert await _script(database) is Script.UNICODE
    await _ask(database, settings, "SCRIPT LATIN")
    assert await _ask(database, settings, "script native") == ["បានប្ដូរអក្សរ។"]
    async with database.session() as s:
        logged = (await s.exec(select(InboundMessage.locale))).all()
    assert set(logged) == {"km"}  # the language is recorded, whatever the script


async def test_latin_is_refused_where_there_is_no_romanised_catalog(
    database: Database, settings: Settings, seeded: None
) -> None:
    viet = "tel:+84912345678"
    await _ask(database, settings, "JOIN", urn=viet)
    assert await _ask(database, settings, "SCRIPT LATIN", urn=viet) == [
        "Chữ Latinh chỉ dành cho tiếng Miến Điện, Khmer và Lào."
    ]
    assert await _script(database, viet) is Script.UNICODE
    assert await _ask(database, settings, "SCRIPT", urn=viet) == [
        "Gửi SCRIPT LATIN để dùng chữ Latinh, hoặc SCRIPT NATIVE."
    ]


async def test_an_unknown_sender_asking_for_a_script_is_told_how_to_join(
    database: Database, settings: Settings, seeded: None
) -> None:
    assert await _ask(database, settings, "SCRIPT LATIN") == ["Send JOIN to get price alerts."]


@pytest.mark.parametrize(
    ("text", "commodity", "market"),
    [
        ("tlai svay", "mango", None),
        ("svay Siem Reap", "mango", "siem-reap"),
        ("laka mak muang Vientiane", "mango", "vientiane"),
        ("thayet thee zay Muse", "mango", "muse"),
        ("tlai sot Phnom Srok", "silk", "phnom-srok"),
    ],
)
async def test_romanised_questions_are_understood(
    database: Database, seeded: None, text: str, commodity: str, market: str | None
) -> None:
    async with database.session() as s:
        parser = await load_parser(s)
    command = parser.parse(text)
    assert command.intent is Intent.PRICE
    assert parser.index.commodity_by_id[command.commodity_id or 0].slug == commodity
    found = parser.index.market_by_id[command.market_id].slug if command.market_id else None
    assert found == market


@pytest.mark.parametrize(
    "text",
    ["ngay mai", "Nga oi, an com chua?", "em bi sot", "Mai Anh", "sa pa"],
    ids=["tomorrow", "a name", "fever", "a name too", "a place"],
)
async def test_short_romanised_names_alone_are_common_words_not_products(
    database: Database, seeded: None, text: str
) -> None:
    async with database.session() as s:
        parser = await load_parser(s)
    command = parser.parse(text)
    assert (command.commodity_id, command.variety_id, command.unit_id) == (None, None, None)
    assert command.intent is Intent.UNKNOWN


async def test_a_short_romanised_name_counts_beside_a_romanised_price_word(
    database: Database, seeded: None
) -> None:
    async with database.session() as s:
        parser = await load_parser(s)
    for text, commodity in (("laka pa", "fish"), ("tlai sot", "silk"), ("zay nga", "fish")):
        command = parser.parse(text)
        assert command.intent is Intent.PRICE, text
        assert parser.index.commodity_by_id[command.commodity_id or 0].slug == commodity, text
