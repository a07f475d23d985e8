"""Registering on Telegram in Khmer written in Latin letters: the button is readable without a
Khmer font, every step after it is in Latin letters, and the producer reads Latin from then on."""

from __future__ import annotations

import httpx
from sqlmodel import select

from app.core.config import Settings
from app.core.db import Database
from app.producers.models import Producer
from app.text.formatting import Script
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.test_bot import CHAT, contact_update, last_buttons, post, running, tap


def _button_labels(api: FakeBotApi) -> list[str]:
    markup = api.sent[-1]["reply_markup"]
    rows = markup["inline_keyboard"] if isinstance(markup, dict) else []
    return [button["text"] for row in rows for button in row]


async def test_register_in_khmer_written_in_latin_letters(
    bot_api: FakeBotApi,
    bot_settings: Settings,
    client: httpx.AsyncClient,
    database: Database,
    seeded: None,
) -> None:
    async with running(bot_settings) as bot:
        assert await post(bot, bot_api.user_message(CHAT, "/start")) == 200
        _, languages = last_buttons(bot_api)
        assert {"r:language:km_Latn", "r:language:lo_Latn", "r:language:my_Latn"} <= set(languages)
        assert {"Khmer (Latin)", "Lao (Latin)", "Burmese (Latin)"} <= set(_button_labels(bot_api))
        await tap(bot, bot_api, "r:language:km_Latn")
        assert bot_api.edited[-1]["text"] == "Tveu ka nov prates na?"  # which country
        await tap(bot, bot_api, "r:country:KH")
        await tap(bot, bot_api, "r:kind:weaver")
        await tap(bot, bot_api, "r:commodities:silk")
        await tap(bot, bot_api, "r:commodities:*done")
        await tap(bot, bot_api, "r:markets:phnom-srok")
        await tap(bot, bot_api, "r:markets:*done")
        assert await post(bot, contact_update(bot_api, "+85512000009")) == 200
        await tap(bot, bot_api, "r:consent:yes")
        registered = bot_api.sent[-1]["text"]
    assert registered == (
        "Chuh chhmoh haey. Neak nung totuol sot \u2014 Phnom Srok. "
        "Suor tlai krob pel, do sot Phnom Srok."
    )
    async with database.session() as s:
        producer = (await s.exec(select(Producer))).one()
    assert (producer.locale, Script(producer.script)) == ("km", Script.LATIN)


async def test_a_forged_romanised_language_is_refused(
    bot_api: FakeBotApi, bot_settings: Settings, client: httpx.AsyncClient, seeded: None
) -> None:
    async with running(bot_settings) as bot:
        assert await post(bot, bot_api.user_message(CHAT, "/start")) == 200
        message_id, _ = last_buttons(bot_api)
        forged = bot_api.callback(CHAT, "r:language:zh_Latn", message_id, check_keyboard=False)
        assert await post(bot, forged) == 200
        assert bot_api.answered[-1].get("show_alert") is True  # refused as expired
        assert await post(bot, bot_api.callback(CHAT, "r:language:km_Latn", message_id)) == 200
        assert bot_api.edited[-1]["text"] == "Tveu ka nov prates na?"  # the real one still works
