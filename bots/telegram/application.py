"""The python-telegram-bot Application, run inside the FastAPI lifespan (no Updater of its own
in webhook mode): updates come from POST /webhooks/telegram, or from polling in development."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from app.commands.parse import ParserCache
from app.core.config import Settings
from app.core.db import Database
from app.core.leader import TELEGRAM_POLLING_LOCK, Leadership
from app.core.metrics import Metrics
from bots.telegram import handlers

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
log = logging.getLogger("mic.telegram")
STOP_TIMEOUT_S = 15.0  # how long stop() lets the poller step down before cancelling it


def build_application(settings: Settings, database: Database, parsers: ParserCache) -> Application:  # type: ignore[type-arg]
    assert settings.telegram_token is not None
    builder = Application.builder().token(settings.telegram_token.get_secret_value())
    builder = builder.base_url(settings.telegram_api_base)
    if settings.telegram_mode != "polling":
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["database"] = database
    application.bot_data["settings"] = settings
    application.bot_data["parsers"] = parsers
    application.add_handler(CommandHandler("start", handlers.on_start, filters=PRIVATE))
    application.add_handler(
        CommandHandler(
            ["help", "price", "leads", "stop", "language", "alerts", "report"],
            handlers.on_command,
            filters=PRIVATE,
        )
    )
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(MessageHandler(PRIVATE & filters.CONTACT, handlers.on_contact))
    application.add_handler(
        MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.on_text)
    )
    application.add_handler(
        MessageHandler(PRIVATE & ~filters.TEXT & ~filters.CONTACT, handlers.on_other)
    )
    application.add_error_handler(handlers.on_error)
    return application


def webhook_url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/webhooks/telegram"


async def start(application: Application, settings: Settings, metrics: Metrics) -> None:  # type: ignore[type-arg]
    await application.initialize()
    await application.start()
    if settings.telegram_mode == "webhook":
        await application.bot.set_webhook(
            webhook_url(settings),
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    elif settings.telegram_mode == "polling":
        database: Database = application.bot_data["database"]
        leadership = Leadership(
            database,
            lock_id=TELEGRAM_POLLING_LOCK,
            name="Telegram polling",
            holder=settings.process_label,
        )
        metrics.watch_leader("telegram", leadership)
        application.bot_data["leadership"] = leadership
        application.bot_data["leader"] = asyncio.create_task(
            _poll_as_leader(application, leadership)
        )


async def _poll_as_leader(application: Application, leadership: Leadership) -> None:  # type: ignore[type-arg]
    """Telegram serves one poller per token: only the leader polls (app/core/leader.py). On
    PostgreSQL the other processes take over within seconds when it dies; on SQLite the one
    process polls at once."""
    updater = application.updater
    assert updater is not None

    async def start_polling() -> None:
        await updater.start_polling(allowed_updates=Update.ALL_TYPES)

    async def stop_polling() -> None:
        if updater.running:
            await updater.stop()

    await leadership.run(start_polling, stop_polling)


def is_polling(application: Application) -> bool:  # type: ignore[type-arg]
    return application.updater is not None and application.updater.running


async def stop(application: Application) -> None:  # type: ignore[type-arg]
    leadership: Leadership | None = application.bot_data.pop("leadership", None)
    leader: asyncio.Task[None] | None = application.bot_data.pop("leader", None)
    if leadership is not None and leader is not None:
        leadership.stop()  # stops polling, then releases the lock
        try:
            await asyncio.wait_for(leader, STOP_TIMEOUT_S)
        except TimeoutError:  # cancelled by wait_for, which releases the lock too
            log.warning("the Telegram poller did not stop within %g s", STOP_TIMEOUT_S)
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
