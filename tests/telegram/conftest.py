"""A fake Bot API per test, and the alerts tests' quick-dispatch settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

import bots.telegram  # noqa: F401 - sets PTB_TIMEDELTA before python-telegram-bot is used
from app.core.config import Settings
from tests.alerts.conftest import fast
from tests.fakes.telegram_api import FakeBotApi

TOKEN = "123456:TEST-token"
SECRET = "telegram-webhook-secret"

__all__ = ["fast"]


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as api:
        yield api
    assert api.unexpected == []


@pytest.fixture
def bot_settings(settings: Settings, bot_api: FakeBotApi) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_api_base": bot_api.base_url,
            "telegram_mode": "webhook",
            "telegram_webhook_secret": SecretStr(SECRET),
            "public_url": "https://mic.example.org",
        }
    )
