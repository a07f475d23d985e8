"""The outbox's Telegram channel: python-telegram-bot's send_message, with Telegram's errors
turned into the dispatcher's kinds.

RetryAfter pauses the whole channel; Forbidden (bot blocked, user deactivated) and "chat not
found" are permanent and the chat is deactivated; other BadRequests are permanent; network
errors and timeouts are transient. Texts over Telegram's 4 096 characters are split on line
breaks where possible.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Bot
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult
from app.core.config import Settings


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Pieces of at most `limit` characters, cut at the last line break (else space) before it."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return pieces


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._ready = asyncio.Lock()
        self._started = False

    async def _initialized(self) -> None:
        # getMe on first use rather than at start-up: a network hiccup while the service starts
        # must cost a retry of one message, not the dispatcher.
        async with self._ready:
            if not self._started:
                await self.bot.initialize()
                self._started = True

    async def send(self, message: OutboundMessage) -> SendResult:
        chat_id = int(message.urn.removeprefix("telegram:"))
        try:
            await self._initialized()
            sent = None
            for piece in split_text(message.text):
                sent = await self.bot.send_message(
                    chat_id, piece, disable_notification=message.silent
                )
        except RetryAfter as exc:
            raise ChannelError(
                ErrorKind.RATE_LIMITED, str(exc), retry_after=_seconds(exc.retry_after)
            ) from exc
        except Forbidden as exc:
            raise ChannelError(ErrorKind.PERMANENT, str(exc), address_invalid=True) from exc
        except BadRequest as exc:
            dead = "chat not found" in str(exc).lower()
            raise ChannelError(ErrorKind.PERMANENT, str(exc), address_invalid=dead) from exc
        except InvalidToken as exc:
            # Our configuration, not the message: keep it queued until the token is fixed.
            raise ChannelError(ErrorKind.TRANSIENT, f"MIC_TELEGRAM_TOKEN refused: {exc}") from exc
        except (NetworkError, TelegramError) as exc:
            raise ChannelError(ErrorKind.TRANSIENT, f"{type(exc).__name__}: {exc}") from exc
        assert sent is not None
        return SendResult(gateway_id=f"{chat_id}:{sent.message_id}")

    async def close(self) -> None:
        if self._started:
            await self.bot.shutdown()
            self._started = False


def build_telegram_channel(settings: Settings) -> TelegramChannel | None:
    """The channel for MIC_TELEGRAM_TOKEN, or None when no bot is configured."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        return None
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_base)
    return TelegramChannel(bot)
