"""python-telegram-bot handlers: registration buttons, free text to app.commands, commands.

Only private chats are served; groups and channels get silence. Each update runs in its own
database transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import ContextTypes

from app.commands.handle import Sender, handle_text
from app.commands.keywords import Intent
from app.commands.parse import ParserCache
from app.core.config import Settings
from app.core.db import Database
from app.core.i18n import translator
from app.producers.addresses import find_by_urn, telegram_urn
from app.producers.models import Producer, ProducerStatus
from app.producers.self_service import may_report
from bots.telegram import menus, registration, report, texts
from bots.telegram.screens import Screen

log = logging.getLogger("mic.telegram")


@dataclass(frozen=True)
class _Brain:
    """app.commands as this bot asks it, with the settings its answers need (a trusted
    reporter's price alerts the producers who follow it)."""

    parsers: ParserCache
    settings: Settings

    async def answer(self, session: Any, urn: str, text: str) -> list[str]:
        parser = await self.parsers.get(session)
        return await handle_text(
            session,
            parser=parser,
            text=text,
            sender=Sender(urn, "telegram"),
            settings=self.settings,
        )


def _deps(context: ContextTypes.DEFAULT_TYPE) -> tuple[Database, _Brain]:
    data = context.application.bot_data
    return data["database"], _Brain(data["parsers"], data["settings"])


def _markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in screen.buttons
        ]
    )


async def _show(update: Update, screen: Screen, *, edit: bool) -> None:
    """A screen as an edit of the message whose button was tapped, or as a new message."""
    chat = update.effective_chat
    assert chat is not None
    if screen.ask_contact is not None:
        share, skip = screen.ask_contact
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(share, request_contact=True)], [KeyboardButton(skip)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
        await chat.send_message(screen.text, reply_markup=keyboard)
        return
    if screen.done:
        await chat.send_message(screen.text, reply_markup=ReplyKeyboardRemove())
        return
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        await query.edit_message_text(screen.text, reply_markup=_markup(screen))
    else:
        await chat.send_message(screen.text, reply_markup=_markup(screen))


async def _locale(database: Database, urn: str) -> str:
    async with database.read_session() as session:
        producer = await find_by_urn(session, urn)
        if producer is not None:
            return producer.locale
        state = await registration.current(session, urn)
        return str(state.data.get("locale", "en")) if state else "en"


# Every handler below decides what to show inside its transaction and shows it after the
# transaction has ended: a request to Telegram can take seconds, and no database lock (on SQLite
# the whole database's write lock) may wait on the network.


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    database, brain = _deps(context)
    chat = update.effective_chat
    assert chat is not None
    urn = telegram_urn(chat.id)
    async with database.session() as session:
        screen = await _start(session, brain, urn)
    await _show(update, screen, edit=False)


async def _start(session: Any, brain: _Brain, urn: str) -> Screen:
    producer = await find_by_urn(session, urn)
    if producer is not None and producer.status is ProducerStatus.ACTIVE and producer.consent_at:
        example = "MANGO MUSE"
        text = translator(producer.locale).gettext(texts.ALREADY_REGISTERED)
        return Screen(text.format(example=example))
    if producer is not None:
        # A producer who stopped: /start is their new consent (app.commands' JOIN).
        return Screen("\n".join(await brain.answer(session, urn, "JOIN")))
    return await registration.start(session, urn)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    database, brain = _deps(context)
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    urn = telegram_urn(chat.id)
    data = query.data or ""
    if data.startswith("r:"):
        user = update.effective_user
        async with database.session() as session:
            screen = await registration.answer_button(
                session, urn, data, name=user.full_name if user else "", chat_id=chat.id
            )
        edit = True
    else:
        async with database.session() as session:
            producer = await find_by_urn(session, urn)
            screen = (
                None
                if producer is None
                else await _menu_button(session, brain, producer, urn, data)
            )
        # "Alert me" answers below the price it was offered with; menus update in place.
        edit = not data.startswith("j:")
    if screen is None:
        await _expired(update, database, urn)
        return
    await query.answer()
    await _show(update, screen, edit=edit)


async def _follow(session: Any, brain: _Brain, urn: str, value: str) -> Screen | None:
    """ "Alert me on this": JOIN for the commodity and market of the price just answered."""
    commodity_id, _, market_id = value.partition(":")
    if not (commodity_id.isdigit() and market_id.isdigit()):
        return None
    index = (await brain.parsers.get(session)).index
    commodity = index.commodity_by_id.get(int(commodity_id))
    market = index.market_by_id.get(int(market_id)) if int(market_id) else None
    if commodity is None or (int(market_id) and market is None):
        return None
    words = f"JOIN {commodity.slug} {market.slug if market else ''}".strip()
    return Screen("\n".join(await brain.answer(session, urn, words)))


async def _expired(update: Update, database: Database, urn: str) -> None:
    """A stale or forged button: said in a pop-up, nothing changes."""
    assert update.callback_query is not None
    text = translator(await _locale(database, urn)).gettext(texts.EXPIRED)
    await update.callback_query.answer(text, show_alert=True)


async def _menu_button(
    session: Any, brain: _Brain, producer: Producer, urn: str, data: str
) -> Screen | None:
    kind, _, value = data.partition(":")
    if kind == "s" and value in ("yes", "no"):
        if value == "no":
            return Screen(translator(producer.locale).gettext(texts.KEPT))
        return Screen("\n".join(await brain.answer(session, urn, "STOP")))
    if kind == "l" and value in menus.LANGUAGE_WORDS:
        replies = await brain.answer(session, urn, f"LANGUAGE {menus.LANGUAGE_WORDS[value]}")
        return Screen("\n".join(replies))
    if kind == "j":
        return await _follow(session, brain, urn, value)
    if kind == "rp":
        answer = await report.answer_button(session, producer, urn, data)
        if isinstance(answer, str):  # confirmed: app.commands stores the price
            return Screen("\n".join(await brain.answer(session, urn, answer)))
        return answer
    parser = await brain.parsers.get(session)
    if kind == "ar":
        subscription_id, _, key = value.partition(":")
        if not subscription_id.isdigit():
            return None
        digest_time = brain.settings.digest_time
        if not await menus.change_alert(
            session, producer, int(subscription_id), key, default_digest_time=digest_time
        ):
            return None
        return await menus.alerts_menu(session, producer, parser)
    if kind in ("a", "p") and value.isdigit():
        if kind == "a":
            return await menus.alert_menu(
                session,
                producer,
                parser,
                int(value),
                default_digest_time=brain.settings.digest_time,
            )
        question = await menus.price_question(session, producer, parser, int(value))
        if question is None:
            return None
        return Screen("\n".join(await brain.answer(session, urn, question)))
    return None


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    database, _ = _deps(context)
    message, chat, user = update.message, update.effective_chat, update.effective_user
    if message is None or message.contact is None or chat is None or user is None:
        return
    if message.contact.user_id != user.id:
        return  # someone else's card: only the producer's own number is taken
    async with database.session() as session:
        screen = await registration.answer_contact(
            session, telegram_urn(chat.id), message.contact.phone_number
        )
    if screen is not None:
        await _show(update, screen, edit=False)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    database, brain = _deps(context)
    message, chat = update.message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    async with database.session() as session:
        screen = await _text(session, brain, telegram_urn(chat.id), chat.id, message.text)
    if screen is not None:
        await _show(update, screen, edit=False)


async def _text(session: Any, brain: _Brain, urn: str, chat_id: int, text: str) -> Screen | None:
    state = await registration.current(session, urn)
    if state is not None and state.step == "phone":
        skip = translator(str(state.data.get("locale", "en"))).gettext(texts.SKIP)
        if text.strip() == skip:
            return await registration.answer_button(
                session, urn, "r:phone:skip", name="", chat_id=chat_id
            )
    producer = await find_by_urn(session, urn)
    if producer is not None:
        typed = await report.answer_text(session, producer, urn, text)
        if typed is not None:
            return typed
    replies = await brain.answer(session, urn, text)
    if not replies:
        return None
    return Screen("\n".join(replies), await _alert_offer(session, brain, urn, text))


async def _alert_offer(
    session: Any, brain: _Brain, urn: str, text: str
) -> list[list[tuple[str, str]]]:
    """Under a price answer, a button to follow that price, for a registered producer."""
    producer = await find_by_urn(session, urn)
    if producer is None or producer.status is not ProducerStatus.ACTIVE:
        return []
    command = (await brain.parsers.get(session)).parse(text)
    if command.intent is not Intent.PRICE or command.commodity_id is None:
        return []
    data = f"j:{command.commodity_id}:{command.market_id or 0}"
    label = translator(producer.locale).gettext(texts.ALERT_ME)
    return [[(f"🔔 {label}", data)]]


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help, /leads: the same brain as SMS; /stop, /language, /alerts, /price: buttons."""
    database, brain = _deps(context)
    message, chat = update.message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    async with database.session() as session:
        screen = await _command(session, brain, telegram_urn(chat.id), command)
    if screen is not None:
        await _show(update, screen, edit=False)


# What a command without buttons (or with none for this producer) asks app.commands.
_COMMAND_WORDS = {
    "help": "HELP",
    "price": "PRICE",
    "leads": "LEADS",
    "stop": "STOP",
    "report": "REPORT",
}


async def _command(session: Any, brain: _Brain, urn: str, command: str) -> Screen | None:
    producer = await find_by_urn(session, urn)
    if producer is not None and producer.status is ProducerStatus.ACTIVE:
        screen = await _menu(session, brain, producer, urn, command)
        if screen is not None:
            return screen
    words = _COMMAND_WORDS.get(command, "HELP")
    replies = await brain.answer(session, urn, words)
    return Screen("\n".join(replies)) if replies else None


async def _menu(
    session: Any, brain: _Brain, producer: Producer, urn: str, command: str
) -> Screen | None:
    if command == "stop":
        return menus.stop_question(producer)
    if command == "language":
        return menus.language_menu(producer)
    if command == "alerts":
        return await menus.alerts_menu(session, producer, await brain.parsers.get(session))
    if command == "price":
        return await menus.price_menu(session, producer, await brain.parsers.get(session))
    if command == "report" and may_report(producer):
        return await report.start(session, producer, urn)
    return None


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes: a polite word in the producer's language."""
    database, _ = _deps(context)
    chat = update.effective_chat
    if chat is None:
        return
    locale = await _locale(database, telegram_urn(chat.id))
    await chat.send_message(translator(locale).gettext(texts.TEXT_ONLY))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Telegram update failed: %r", context.error, exc_info=context.error)
