"""The python-telegram-bot Application, run inside the FastAPI lifespan (no Updater of its own
in webhook mode): updates come from POST /webhooks/telegram, or from polling in development."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from app.core.config import Settings
from app.core.db import Database
from bots.telegram import handlers

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


def build_application(settings: Settings, database: Database) -> Application:  # type: ignore[type-arg]
    assert settings.telegram_token is not None
    builder = Application.builder().token(settings.telegram_token.get_secret_value())
    builder = builder.base_url(settings.telegram_api_base)
    if settings.telegram_mode != "polling":
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["database"] = database
    application.bot_data["settings"] = settings
    application.add_handler(CommandHandler("start", handlers.on_start, filters=PRIVATE))
    application.add_handler(
        CommandHandler(["help", "price", "leads", "stop"], handlers.on_command, filters=PRIVATE)
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
    elif settings.telegram_mode == "polling" and application.updater is not None:
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)


async def stop(application: Application) -> None:  # type: ignore[type-arg]
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
