"""The bot end to end: the real python-telegram-bot inside the app, updates posted to
/webhooks/telegram as Telegram would, replies going to the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select
from telegram import Bot

from app.alerts.models import ChannelName, Delivery
from app.commands import replies
from app.commands.handle import Sender, handle_text
from app.commands.own_alerts import view_alerts
from app.commands.parse import load_parser
from app.core.config import Settings
from app.core.db import Database
from app.core.i18n import translator
from app.main import create_app
from app.prices.models import PriceObservation, PriceStatus
from app.producers.models import Producer, Subscription
from bots.telegram import texts
from bots.telegram.channel import TelegramChannel
from tests.alerts.conftest import add_reporter, alerts_to, dispatch_until, follower, publish
from tests.conftest import Tokens
from tests.fakes.channel import RecordingChannel
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import SECRET, TOKEN

CHAT = 880001


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """One life of the service: a new app, its lifespan, and a client posting to it."""
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client:
            yield client


async def post(client: httpx.AsyncClient, update: dict[str, Any], secret: str = SECRET) -> int:
    response = await client.post(
        "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    )
    return response.status_code


def last_buttons(api: FakeBotApi) -> tuple[int, list[str]]:
    """The message the bot last sent or edited with buttons, and their callback data."""
    sent = 0
    found: tuple[int, list[str]] | None = None
    for call in api.calls:
        if call.method not in ("sendMessage", "editMessageText") or call.status != 200:
            continue
        params = api.sent[sent] if call.method == "sendMessage" else call.params
        sent += call.method == "sendMessage"
        markup = params.get("reply_markup")
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if rows:
            data = [b["callback_data"] for row in rows for b in row]
            found = (int(str(params["message_id"])), data)
    assert found is not None, "no message with buttons"
    return found


async def tap(client: httpx.AsyncClient, api: FakeBotApi, data: str) -> None:
    message_id, offered = last_buttons(api)
    assert data in offered, (data, offered)
    assert await post(client, api.callback(CHAT, data, message_id)) == 200


def contact_update(api: FakeBotApi, phone: str) -> dict[str, Any]:
    update = api.user_message(CHAT, "x")
    message = update["message"]
    del message["text"]
    message.pop("entities", None)
    message["contact"] = {"phone_number": phone, "first_name": "Aye", "user_id": CHAT}
    return update


async def register_until_phone(client: httpx.AsyncClient, api: FakeBotApi) -> None:
    assert await post(client, api.user_message(CHAT, "/start")) == 200
    _, languages = last_buttons(api)
    assert "r:language:my" in languages and "r:language:km" in languages
    await tap(client, api, "r:language:my")
    assert "နိုင်ငံ" in api.edited[-1]["text"]  # "which country", in Burmese
    await tap(client, api, "r:country:MM")
    await tap(client, api, "r:kind:farmer")
    await tap(client, api, "r:commodities:mango")
    await tap(client, api, "r:commodities:*done")
    await tap(client, api, "r:markets:muse")
    await tap(client, api, "r:markets:*done")


async def finish_registration(client: httpx.AsyncClient, api: FakeBotApi) -> None:
    assert await post(client, contact_update(api, "+959250000123")) == 200
    await tap(client, api, "r:consent:yes")


async def test_register_in_burmese_ask_a_price_and_get_an_alert(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    fast: Settings,
) -> None:
    await publish(client, tokens, "12600")
    async with running(bot_settings) as bot:
        assert bot_api.webhook is not None and bot_api.webhook["secret_token"] == SECRET
        await register_until_phone(bot, bot_api)
        await finish_registration(bot, bot_api)
        registered = bot_api.sent[-1]["text"]
        assert await post(bot, bot_api.user_message(CHAT, "မူဆယ် သရက်သီးဈေး")) == 200
        answer = bot_api.sent[-1]["text"]
    async with database.session() as s:
        producer = (await s.exec(select(Producer))).one()
        subscriptions = (await s.exec(select(Subscription))).all()
    assert (producer.locale, producer.country_code, str(producer.consent_channel)) == (
        "my",
        "MM",
        "telegram",
    )
    assert len(subscriptions) == 1
    assert "သရက်" in registered
    assert "12,600" in answer and "မူဆယ်" in answer
    await publish(client, tokens, "13100")  # the CDE publishes a new price
    telegram = TelegramChannel(Bot(TOKEN, base_url=bot_api.base_url))
    before = len(bot_api.sent)

    async def alerted() -> bool:
        return len(bot_api.sent) > before

    await dispatch_until(
        database,
        fast,
        {ChannelName.TELEGRAM: telegram, ChannelName.SMS: RecordingChannel("sms")},
        alerted,
    )
    await telegram.close()
    alert = bot_api.sent[-1]
    assert alert["chat_id"] == CHAT and "13,100" in alert["text"] and "+4.0%" in alert["text"]
    async with database.session() as s:
        assert len((await s.exec(select(Delivery))).all()) == 1
    print("\n--- transcript ---")
    for call in bot_api.calls:
        if call.method in ("sendMessage", "editMessageText"):
            print(call.method, "→", str(call.params.get("text", ""))[:120].replace("\n", " | "))


async def test_a_registration_survives_a_restart(
    bot_api: FakeBotApi, bot_settings: Settings, database: Database, seeded: None
) -> None:
    async with running(bot_settings) as first:
        await register_until_phone(first, bot_api)
    async with running(bot_settings) as second:  # a new process: nothing in memory
        await finish_registration(second, bot_api)
    async with database.session() as s:
        producer = (await s.exec(select(Producer))).one()
    assert producer.consent_at is not None and producer.kind == "farmer"


async def test_a_wrong_secret_is_refused_and_odd_updates_get_polite_answers(
    bot_api: FakeBotApi, bot_settings: Settings, seeded: None
) -> None:
    async with running(bot_settings) as bot:
        assert await post(bot, bot_api.user_message(CHAT, "/start"), secret="guess") == 403
        assert bot_api.sent == []
        sticker = bot_api.user_message(CHAT, "x")
        del sticker["message"]["text"]
        sticker["message"]["sticker"] = {
            "file_id": "s1",
            "file_unique_id": "u1",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        assert await post(bot, sticker) == 200
        assert bot_api.sent[-1]["text"] == "I can only read text messages."
        group = bot_api.user_message(-100123, "မူဆယ် သရက်သီးဈေး", chat_type="supergroup")
        count = len(bot_api.sent)
        assert await post(bot, group) == 200
        assert len(bot_api.sent) == count  # groups get silence
        await post(bot, bot_api.user_message(CHAT, "/start"))
        message_id, _ = last_buttons(bot_api)
        forged = bot_api.callback(CHAT, "r:country:MM", message_id, check_keyboard=False)
        assert await post(bot, forged) == 200  # a button of another step: expired
        assert bot_api.answered[-1].get("show_alert") is True


async def test_price_alerts_language_and_stop_menus(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
) -> None:
    await publish(client, tokens, "12600")
    async with running(bot_settings) as bot:
        await register_until_phone(bot, bot_api)
        await finish_registration(bot, bot_api)
        await post(bot, bot_api.user_message(CHAT, "mango mandalay"))  # a price question
        _, offered = last_buttons(bot_api)
        [follow] = offered
        assert follow.startswith("j:")
        await tap(bot, bot_api, follow)  # "alert me on this"
        async with database.session() as s:
            assert len((await s.exec(select(Subscription))).all()) == 2
        await post(bot, bot_api.user_message(CHAT, "/price"))
        _, offered = last_buttons(bot_api)
        price_button = offered[0]
        await tap(bot, bot_api, price_button)
        assert "12,600" in bot_api.edited[-1]["text"]
        await post(bot, bot_api.user_message(CHAT, "/language"))
        await tap(bot, bot_api, "l:km")
        async with database.session() as s:
            assert (await s.exec(select(Producer))).one().locale == "km"
        await post(bot, bot_api.user_message(CHAT, "/alerts"))
        _, offered = last_buttons(bot_api)
        await tap(bot, bot_api, offered[0])  # the first alert's menu
        _, rules = last_buttons(bot_api)
        await tap(bot, bot_api, next(r for r in rules if r.endswith(":pct10")))
        async with database.session() as s:
            rules_now = sorted(str(x.rule) for x in (await s.exec(select(Subscription))).all())
        assert rules_now == ["change_pct", "every"]
        for _ in range(2):  # remove both
            _, offered = last_buttons(bot_api)
            await tap(bot, bot_api, offered[0])
            _, menu = last_buttons(bot_api)
            await tap(bot, bot_api, next(r for r in menu if r.endswith(":remove")))
        # No alerts left: said as SMS says it, in Khmer.
        assert bot_api.edited[-1]["text"] == translator("km").gettext(replies.NO_ALERTS)
        async with database.session() as s:
            assert (await s.exec(select(Subscription))).all() == []
        await post(bot, bot_api.user_message(CHAT, "/stop"))
        await tap(bot, bot_api, "s:no")
        async with database.session() as s:
            assert str((await s.exec(select(Producer))).one().status) == "active"
        await post(bot, bot_api.user_message(CHAT, "/stop"))
        await tap(bot, bot_api, "s:yes")
        async with database.session() as s:
            assert str((await s.exec(select(Producer))).one().status) == "stopped"
        await post(bot, bot_api.user_message(CHAT, "/start"))  # reversible: a new consent
        async with database.session() as s:
            assert str((await s.exec(select(Producer))).one().status) == "active"


async def test_a_field_reporter_reports_a_price_with_buttons(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
) -> None:
    await add_reporter(client, tokens, trusted=False, telegram_chat_id=CHAT)
    async with running(bot_settings) as bot:
        await post(bot, bot_api.user_message(CHAT, "/report"))
        await tap(bot, bot_api, "rp:commodity:mango")
        await tap(bot, bot_api, "rp:market:muse")
        await post(bot, bot_api.user_message(CHAT, "about thirteen thousand"))
        assert bot_api.sent[-1]["text"].startswith("That is not a price")
        await post(bot, bot_api.user_message(CHAT, "13,000"))
        await tap(bot, bot_api, "rp:unit:tonne")
        await tap(bot, bot_api, "rp:currency:CNY")
        assert "13000" in bot_api.sent[-1]["text"] or "13000" in bot_api.edited[-1]["text"]
        await tap(bot, bot_api, "rp:confirm:send")
        assert "A CDE will check it" in bot_api.edited[-1]["text"]
    pending = (
        await client.get("/api/v1/prices", headers=tokens.cde_mm, params={"status": "pending"})
    ).json()["items"]
    assert [(p["market"], p["price"], p["currency"], p["source"]) for p in pending] == [
        ("muse", "13000.0000", "CNY", "telegram")
    ]


async def test_a_trusted_reporters_telegram_price_alerts_the_followers(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
) -> None:
    follows = await follower(database)
    await add_reporter(client, tokens, trusted=True, telegram_chat_id=CHAT)
    async with running(bot_settings) as bot:
        # Typed rather than with /report's buttons (above): both end in the same REPORT.
        await post(bot, bot_api.user_message(CHAT, "REPORT MANGO MUSE 12600 CNY/TON"))
        assert "Published" in bot_api.sent[-1]["text"], bot_api.sent[-1]["text"]
    async with database.session() as s:
        price = (await s.exec(select(PriceObservation))).one()
    assert (price.status, price.source) == (PriceStatus.PUBLISHED, "telegram")
    assert await alerts_to(database, follows) == [("price", price.id)]


async def test_a_malformed_update_with_the_right_secret_is_dropped_and_logged(
    bot_api: FakeBotApi, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with running(bot_settings) as bot:
        for body in (b"[1, 2]", b"[" * 5000 + b"]" * 5000, b'"text"'):
            response = await bot.post("/webhooks/telegram", content=body, headers=headers)
            assert response.status_code == 200  # a 4xx would only make Telegram resend it
    assert caplog.text.count("unreadable Telegram update dropped") == 3
    assert bot_api.sent == []


async def test_buttons_and_words_change_the_same_alerts(
    bot_api: FakeBotApi, bot_settings: Settings, database: Database, seeded: None
) -> None:
    """The /alerts buttons and the SMS words go through the same service: a rule tapped on
    Telegram is moved by words typed there, listed in the same words, and ended by SMS."""
    async with running(bot_settings) as bot:
        await register_until_phone(bot, bot_api)
        await finish_registration(bot, bot_api)
        await post(bot, bot_api.user_message(CHAT, "/alerts"))
        _, offered = last_buttons(bot_api)
        await tap(bot, bot_api, offered[0])
        _, rules = last_buttons(bot_api)
        await tap(bot, bot_api, next(r for r in rules if r.endswith(":digest")))
        await post(bot, bot_api.user_message(CHAT, "DAILY 18:30"))
        assert "18:30" in bot_api.sent[-1]["text"]
        await post(bot, bot_api.user_message(CHAT, "/alerts"))
        markup = bot_api.sent[-1]["reply_markup"]
        labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    async with database.session() as s:
        producer = (await s.exec(select(Producer))).one()
        alert = (await s.exec(select(Subscription))).one()
        parser = await load_parser(s)
        listed = await view_alerts(s, producer, parser, producer.locale)
    assert (alert.rule, alert.digest_time) == ("digest", "18:30")
    assert labels == [f"{listed[0].what} · {listed[0].when}"]
    assert "18:30" in listed[0].when
    async with database.session() as s:  # the number shared at sign-up, by SMS
        replies = await handle_text(
            s,
            parser=parser,
            text="STOP MANGO MUSE",
            sender=Sender("tel:+959250000123", "sms"),
            settings=bot_settings,
        )
    assert len(replies) == 1
    async with database.session() as s:
        assert (await s.exec(select(Subscription))).all() == []


async def test_alert_me_keeps_the_rule_and_latin_menus_say_what_sms_says(
    bot_api: FakeBotApi, bot_settings: Settings, database: Database, seeded: None
) -> None:
    """ "Alert me" under a price they get daily leaves it daily; a producer reading Burmese in
    Latin letters gets the menus in the words and letters SMS answers them in."""
    async with running(bot_settings) as bot:
        await register_until_phone(bot, bot_api)
        await finish_registration(bot, bot_api)
        await post(bot, bot_api.user_message(CHAT, "ALERT MANGO MUSE DAILY 06:30"))
        await post(bot, bot_api.user_message(CHAT, "mango muse"))
        _, offered = last_buttons(bot_api)
        [follow] = offered
        await tap(bot, bot_api, follow)
        async with database.session() as s:
            alert = (await s.exec(select(Subscription))).one()
        assert (alert.rule, alert.digest_time) == ("digest", "06:30")

        await post(bot, bot_api.user_message(CHAT, "SCRIPT LATIN"))
        await post(bot, bot_api.user_message(CHAT, "/alerts"))
        header = bot_api.sent[-1]["text"]
        labels = [
            b["text"] for row in bot_api.sent[-1]["reply_markup"]["inline_keyboard"] for b in row
        ]
        await tap(bot, bot_api, last_buttons(bot_api)[1][0])
        rule_labels = [
            b["text"] for row in bot_api.edited[-1]["reply_markup"]["inline_keyboard"] for b in row
        ]
    async with database.session() as s:
        sms = await handle_text(
            s,
            parser=await load_parser(s),
            text="ALERTS",
            sender=Sender("tel:+959250000123", "sms"),
            settings=bot_settings,
        )
    latin = translator("my_Latn")
    assert header == latin.gettext(texts.ALERTS_HEADER)
    [label] = labels
    what, when = label.split(" · ")
    assert sms[0].startswith(latin.gettext(replies.ALERT_LINE).format(what=what, when=when))
    assert when == latin.gettext(replies.RULE_DAILY).format(time="06:30")
    assert latin.gettext(replies.RULE_EVERY) in rule_labels  # the SMS wording, not a copy


_SESSIONS_OPEN: ContextVar[int] = ContextVar("sessions_open", default=0)


async def test_no_transaction_is_held_while_the_bot_talks_to_telegram(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every request to the Bot API is made after the update's transaction has ended: on
    SQLite an open transaction holds the database's write lock for the whole request."""
    await publish(client, tokens, "12600")
    opened = Database.session
    held: list[tuple[str, int]] = []

    @asynccontextmanager
    async def counted(self: Database) -> AsyncIterator[Any]:
        token = _SESSIONS_OPEN.set(_SESSIONS_OPEN.get() + 1)
        try:
            async with opened(self) as session:
                yield session
        finally:
            _SESSIONS_OPEN.reset(token)

    posted = Bot._post

    async def watched(self: Bot, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        held.append((endpoint, _SESSIONS_OPEN.get()))
        return await posted(self, endpoint, *args, **kwargs)

    monkeypatch.setattr(Database, "session", counted)
    monkeypatch.setattr(Bot, "_post", watched)
    async with running(bot_settings) as bot:
        await register_until_phone(bot, bot_api)
        await finish_registration(bot, bot_api)
        await post(bot, bot_api.user_message(CHAT, "mango muse"))
        await post(bot, bot_api.user_message(CHAT, "/alerts"))
        await tap(bot, bot_api, last_buttons(bot_api)[1][0])
    sends = [(e, n) for e, n in held if e in ("sendMessage", "editMessageText")]
    assert len(sends) >= 10
    assert [s for s in sends if s[1]] == []
