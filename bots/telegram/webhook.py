"""POST /webhooks/telegram: Telegram's updates, refused without the secret token we registered."""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Request, Response
from telegram import Update

from app.api.errors import error_response
from app.core.config import Settings

log = logging.getLogger("mic.telegram")
router = APIRouter(tags=["webhooks"], include_in_schema=False)


@router.post("/webhooks/telegram")
async def telegram_update(request: Request) -> Response:
    application = getattr(request.app.state, "telegram", None)
    if application is None:
        return error_response(404, "not_found", "the Telegram bot is not running")
    settings: Settings = request.app.state.settings
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    expected = settings.telegram_webhook_secret.get_secret_value()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("Telegram webhook with a wrong secret token refused")
        return error_response(403, "forbidden", "wrong secret token")
    try:
        data = json.loads(await request.body())
        if not isinstance(data, dict):
            raise TypeError(f"an update is a JSON object, not {type(data).__name__}")
        update = Update.de_json(data, application.bot)
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        log.warning("unreadable Telegram update dropped: %r", exc)
        return Response(status_code=200)  # a 4xx would only make Telegram resend it
    await application.process_update(update)
    return Response(status_code=200)
