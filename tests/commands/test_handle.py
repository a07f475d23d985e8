"""Answers: in the asker's language, for known and unknown senders, and safe on bad input."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from app.accounts.models import Role
from app.accounts.service import Staff
from app.alerts.triggers import Alerts
from app.commands.models import InboundMessage
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.leads.models import BuyerLead
from app.prices.curation import create_price
from app.prices.models import FxRateIn, PriceCreate, PriceObservation, PriceStatus
from app.prices.rates import add_fx_rate
from app.producers.addresses import find_by_urn
from app.producers.models import Producer, ProducerStatus, Subscription
from tests.commands.conftest import PHONE, Ask

ADMIN = Staff(user_id=0, name="ana", role=Role.ADMIN, countries=None)
YESTERDAY = clock.today("Asia/Yangon") - dt.timedelta(days=1)


async def publish_yesterday(database: Database, settings: Settings, **price: Any) -> None:
    async with database.session() as s:
        await create_price(
            s,
            staff=ADMIN,
            alerts=Alerts(settings),
            data=PriceCreate(observed_on=YESTERDAY, publish=True, **price),
        )


@pytest.fixture
async def published(database: Database, settings: Settings, seeded: None) -> None:
    async with database.session() as s:
        for base, quote, rate in (("USD", "MMK", "2100"), ("USD", "CNY", "7.2")):
            await add_fx_rate(
                s,
                data=FxRateIn(
                    base=base,
                    quote=quote,
                    rate=Decimal(rate),
                    on_date=YESTERDAY - dt.timedelta(days=5),
                    source="cbm",
                ),
                staff=ADMIN,
            )
        for days, price in ((3, "12000"), (1, "12600")):
            await create_price(
                s,
                staff=ADMIN,
                alerts=Alerts(settings),
                data=PriceCreate(
                    commodity="mango",
                    variety="sein-ta-lone",
                    market="muse",
                    price=Decimal(price),
                    currency="CNY",
                    unit="tonne",
                    price_type="border",
                    observed_on=clock.today("Asia/Yangon") - dt.timedelta(days=days),
                    publish=True,
                ),
            )


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "latest Muse mango price",
            "Mango (Sein Ta Lone) at Muse: CN¥12,600/tonne ~MMK3,675 per kg",
        ),
        ("မူဆယ် သရက်သီးဈေး ဘယ်လောက်လဲ", "မူဆယ် သရက်သီး (စိန်တစ်လုံး): 12,600\u00a0CN¥/တန် ≈ တစ်ကီလို 3,675\u00a0K"),
        ("မူဆယ္ သရက္သီးေဈး ဘယ္ေလာက္လဲ", "မူဆယ် သရက်သီး (စိန်တစ်လုံး): 12,600\u00a0CN¥/တန်"),
        ("តម្លៃស្វាយ មូសេ", "ស្វាយ (Sein Ta Lone) នៅមូសេ: 12,600CN¥/តោន"),
        ("ລາຄາໝາກມ່ວງ ມູເຊ", "ໝາກມ່ວງ (Sein Ta Lone) ຢູ່ມູເຊ: CN¥12.600/ໂຕນ"),
        ("giá xoài muse", "Xoài (Sein Ta Lone) tại Muse: 12.600\u00a0CN¥/tấn"),
        ("gia xoai muse", "Xoài (Sein Ta Lone) tại Muse: 12.600\u00a0CN¥/tấn"),
        ("芒果 木姐 价格", "木姐芒果（钻石芒）：¥12,600/吨"),
    ],
)
async def test_a_price_question_is_answered_in_the_language_it_was_asked(
    database: Database, text: str, expected: str, ask: Ask
) -> None:
    replies = await ask(text, channel="telegram")
    assert replies[0].startswith(expected), replies
    assert re.search(r"\+5[.,]0%", replies[0])  # the change since the previous published price


@pytest.mark.usefixtures("published")
async def test_unknown_senders_get_the_price_and_one_line_on_registering(
    database: Database, ask: Ask
) -> None:
    replies = await ask("mango muse")
    assert replies[-1].endswith("Send JOIN to get price alerts.")
    async with database.session() as s:
        logged = (await s.exec(select(InboundMessage))).one()
    assert (logged.urn, logged.intent, logged.producer_id) == (PHONE, "price", None)
    assert logged.replies == replies


@pytest.mark.usefixtures("published")
async def test_sms_replies_in_khmer_fit_two_segments_each(database: Database, ask: Ask) -> None:
    from app.text.sms import segments

    replies = await ask("តម្លៃស្វាយ មូសេ")
    assert 1 <= len(replies) <= 3
    assert all(segments(r) <= 2 for r in replies), [segments(r) for r in replies]


async def test_no_price_is_said_honestly_with_the_nearest_market(
    database: Database, settings: Settings, seeded: None, ask: Ask
) -> None:
    await publish_yesterday(
        database,
        settings,
        commodity="mango",
        market="mandalay",
        price=Decimal("5000"),
        currency="MMK",
        unit="viss",
        price_type="wholesale",
    )
    replies = await ask("mango muse", channel="telegram")
    assert replies[0].startswith(
        "No recent price for Mango at Muse.\nNearest with a price: Mandalay."
    )


async def test_join_from_an_unknown_phone_registers_with_consent(
    database: Database, seeded: None, ask: Ask
) -> None:
    replies = await ask("JOIN သရက်သီး မူဆယ်")
    assert replies == [
        "MIC မှ ကြိုဆိုပါသည်။ ရပ်လိုလျှင် STOP ပို့ပါ။\nသတိပေးချက် ထားပြီး: သရက်သီး မူဆယ်။ ရပ်ရန် STOP သရက်သီး မူဆယ် ပို့ပါ။"
    ]
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        assert producer is not None
        assert (producer.country_code, producer.locale, producer.consent_channel) == (
            "MM",
            "my",
            "sms",
        )
        subscription = (await s.exec(select(Subscription))).one()
        assert subscription.producer_id == producer.id
    stop = await ask("STOP")
    assert stop == ["နောက်ထပ် စာ မပို့တော့ပါ။ ပြန်စရန် JOIN ပို့ပါ။"]
    async with database.session() as s:
        assert (await s.get(Producer, producer.id)).status is ProducerStatus.STOPPED  # type: ignore[union-attr]
    await ask("JOIN")
    async with database.session() as s:
        assert (await s.get(Producer, producer.id)).status is ProducerStatus.ACTIVE  # type: ignore[union-attr]


async def test_subscription_rules_from_text(database: Database, seeded: None, ask: Ask) -> None:
    await ask("alert me when hilsa at San Pya moves 10%")
    await ask("alert me when mango at muse above 13000")
    async with database.session() as s:
        rules = {(x.rule.value, x.threshold) for x in (await s.exec(select(Subscription))).all()}
    assert rules == {("change_pct", Decimal("10")), ("above", Decimal("13000"))}


async def reporter(ask: Ask, database: Database, roles: list[str]) -> None:
    await ask("JOIN")
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        assert producer is not None
        producer.roles = roles
        s.add(producer)


async def test_a_field_report_becomes_a_pending_price(
    database: Database, seeded: None, ask: Ask
) -> None:
    await reporter(ask, database, ["reporter"])
    replies = await ask("REPORT MANGO MUSE 12000 CNY/TON")
    assert replies == [
        "Thank you. Received: Mango Muse CN¥12,000/tonne. A CDE will check it."
    ] or replies[0].startswith("ကျေးဇူးပါ။ ရပြီး")
    async with database.session() as s:
        price = (await s.exec(select(PriceObservation))).one()
    assert (price.status, price.currency, price.price, price.source) == (
        PriceStatus.PENDING,
        "CNY",
        Decimal("12000"),
        "sms",
    )


async def test_a_report_sent_again_is_recorded_once_and_acknowledged(
    database: Database, seeded: None, ask: Ask
) -> None:
    await reporter(ask, database, ["reporter"])
    first = await ask("REPORT MANGO MUSE 12000 CNY/TON", locale="en")
    again = await ask("REPORT MANGO MUSE 12000 CNY/TON", locale="en")
    assert (
        again == first == ["Thank you. Received: Mango Muse CN¥12,000/tonne. A CDE will check it."]
    )
    async with database.session() as s:
        assert len((await s.exec(select(PriceObservation))).all()) == 1


async def test_a_trusted_reporter_publishes_directly(
    database: Database, seeded: None, ask: Ask
) -> None:
    await reporter(ask, database, ["reporter", "trusted_reporter"])
    await ask("+P muse mango 1500000 kyat/basket")
    async with database.session() as s:
        price = (await s.exec(select(PriceObservation))).one()
    assert price.status is PriceStatus.PUBLISHED


@pytest.mark.parametrize(
    "text",
    [
        "REPORT MANGO MUSE 0 CNY/TON",
        "REPORT MANGO MUSE -5 CNY/TON",
        "REPORT MANGO MUSE 1e309 CNY/TON",
        "REPORT SILK PHNOM SROK 75 USD/KG",
        "REPORT MANGO 12000",
    ],
)
async def test_bad_reports_get_a_short_reply_and_store_nothing(
    database: Database, seeded: None, text: str, ask: Ask
) -> None:
    await reporter(ask, database, ["reporter"])
    replies = await ask(text)
    assert len(replies) == 1 and len(replies[0]) < 120
    async with database.session() as s:
        assert (await s.exec(select(PriceObservation))).all() == []


async def test_only_reporters_report(database: Database, seeded: None, ask: Ask) -> None:
    replies = await ask("REPORT MANGO MUSE 12000 CNY/TON", locale="en")
    assert replies == ["Only registered reporters can send prices."]


async def test_a_sale_offer_becomes_a_pending_lead(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN")
    replies = await ask("SELL SILK FINE 20KG 70USD", locale="en")
    assert replies == ["Thank you. Offer received: Silk Fine silk yarn. A CDE will check it."]
    async with database.session() as s:
        lead = (await s.exec(select(BuyerLead))).one()
    assert (lead.kind.value, lead.status.value, lead.quantity, lead.price, lead.currency) == (
        "sell",
        "pending",
        Decimal("20"),
        Decimal("70"),
        "USD",
    )


@pytest.mark.parametrize("text", ["", "🥭🥭", "x" * 5000, "\x00\x07", "\u0301", "hello"])
async def test_nonsense_gets_a_short_localised_hint(
    database: Database, seeded: None, text: str, ask: Ask
) -> None:
    replies = await ask(text)
    assert len(replies) == 1 and 0 < len(replies[0]) < 80


async def test_language_change(database: Database, seeded: None, ask: Ask) -> None:
    await ask("JOIN")
    assert await ask("language khmer") == ["បានប្ដូរភាសា។"]
    assert await ask("help") == ["សួរ: ស្វាយ មូសេ។ JOIN ស្វាយ មូសេ។ ឈប់: STOP។ SELL សូត្រ 20KG 70USD"]


async def test_stop_with_a_commodity_ends_only_those_alerts(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO MUSE", locale="en")
    await ask("JOIN HILSA", locale="en")
    assert await ask("STOP MANGO", locale="en") == ["Alert ended: Mango."]
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        left = (await s.exec(select(Subscription))).all()
    assert producer is not None and producer.status is ProducerStatus.ACTIVE
    assert [x.variety_id is not None for x in left] == [True]  # hilsa remains


@pytest.mark.usefixtures("published")
async def test_a_producer_who_prefers_plain_sms_gets_one_cheap_segment(
    database: Database, ask: Ask
) -> None:
    from app.text.sms import analyse

    await ask("JOIN", urn="tel:+84912345678")
    async with database.session() as s:
        producer = await find_by_urn(s, "tel:+84912345678")
        assert producer is not None and producer.locale == "vi"
        producer.plain_sms = True
        s.add(producer)
    replies = await ask("gia xoai muse", urn="tel:+84912345678")
    assert replies[0].startswith("Xoai (Sein Ta Lone) tai Muse, Myanmar: 12.600 CN¥/tan")
    assert all(analyse(r).encoding == "gsm7" for r in replies)


def test_every_fixed_reply_fits_two_sms_segments_in_every_language() -> None:
    from app.commands import replies
    from app.core.i18n import LOCALES, translator
    from app.text.sms import segments

    fixed = [v for k, v in vars(replies).items() if k.isupper() and isinstance(v, str)]
    fixed = [v for v in fixed if "{" not in v]
    assert len(fixed) > 10
    for locale in LOCALES:
        for message in fixed:
            text = translator(locale).gettext(message)
            assert segments(text) <= 2, (locale, text)


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize(
    ("text", "locale", "registered", "unknown"),
    [
        ("ລາຄາໝາກມ່ວງ", "lo", "tel:+8562055512345", "tel:+8562055567890"),  # no price in Laos
        ("giá xoài", "vi", "tel:+84912345678", "tel:+84987654321"),  # none in Vietnam
        ("តម្លៃស្វាយ", "km", "tel:+85512345678", "tel:+85598765432"),  # none in Cambodia
        ("သရက်သီးဈေး", "my", "tel:+959250123456", "tel:+959250654321"),  # Muse is at home
        ("mango price", "en", "tel:+959250111111", "tel:+959250222222"),
    ],
)
async def test_registered_and_unknown_senders_get_the_same_facts(
    ask: Ask, text: str, locale: str, registered: str, unknown: str
) -> None:
    await ask("JOIN", urn=registered, locale=locale)
    [theirs] = await ask(text, urn=registered, channel="telegram")
    [strangers] = await ask(text, urn=unknown, channel="telegram")
    assert re.search(r"12\D?600", theirs), theirs  # the Muse price, not "no price"
    facts, _, hint = strangers.rpartition("\n")
    assert facts == theirs and hint  # the same answer, and the stranger hears how to register


@pytest.mark.usefixtures("published")
async def test_with_no_price_at_home_the_nearest_markets_answer_first(
    database: Database, settings: Settings, ask: Ask
) -> None:
    await publish_yesterday(
        database,
        settings,
        commodity="mango",
        market="thai-nguyen",
        price=Decimal("25000"),
        currency="VND",
        unit="kg",
        price_type="wholesale",
    )
    [answer] = await ask("mango price", urn="tel:+8562055512345", channel="telegram", locale="en")
    lines = answer.splitlines()
    assert lines[0] == "No recent price for Mango in Lao PDR."
    # Thai Nguyen is about 500 km from Vientiane, Muse about 800 km.
    assert lines[1].startswith("Mango at Thai Nguyen, Viet Nam: ₫25,000/kg"), lines
    assert lines[2].startswith("Mango (Sein Ta Lone) at Muse, Myanmar: CN¥12,600/tonne"), lines
