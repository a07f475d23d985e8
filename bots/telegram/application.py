"""The python-telegram-bot Application, run inside the FastAPI lifespan (no Updater of its own
in webhook mode): updates come from POST /webhooks/telegram, or from polling in development."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
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
from bots.telegram import handlers

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
log = logging.getLogger("mic.telegram")
# Any constant: the same for every process of a deployment.
POLLING_LOCK = 0x6D6963_0002
LEADER_RETRY_S = 3.0


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


async def start(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    await application.initialize()
    await application.start()
    if settings.telegram_mode == "webhook":
        await application.bot.set_webhook(
            webhook_url(settings),
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    elif settings.telegram_mode == "polling":
        leader = asyncio.create_task(_poll_as_leader(application))
        application.bot_data["leader"] = leader


async def _poll_as_leader(application: Application) -> None:  # type: ignore[type-arg]
    """Telegram serves one poller per token. On PostgreSQL the process that holds a
    session-level advisory lock, on a connection of its own, polls; the others try again every
    few seconds and take over when the leader dies (its connection, and so its lock, go)."""
    assert application.updater is not None
    database: Database = application.bot_data["database"]
    if database.url.is_sqlite:  # one process by design
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        return
    lock: AsyncConnection | None = None
    try:
        while lock is None:
            connection = await database.engine.connect()
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = await connection.execute(sa.select(sa.func.pg_try_advisory_lock(POLLING_LOCK)))
            if got.scalar():
                lock = connection
            else:
                await connection.close()
                await asyncio.sleep(LEADER_RETRY_S)
        log.info("this process polls Telegram")
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await asyncio.Event().wait()  # hold the lock until stopped
    finally:
        if lock is not None:
            with contextlib.suppress(Exception):
                await lock.close()


def is_polling(application: Application) -> bool:  # type: ignore[type-arg]
    return application.updater is not None and application.updater.running


async def stop(application: Application) -> None:  # type: ignore[type-arg]
    leader = application.bot_data.pop("leader", None)
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if leader is not None:
        leader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leader
    if application.running:
        await application.stop()
    await application.shutdown()
