"""A fake Bot API per test, and the alerts tests' quick-dispatch settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import bots.telegram  # noqa: F401 - sets PTB_TIMEDELTA before python-telegram-bot is used
from tests.alerts.conftest import fast
from tests.fakes.telegram_api import FakeBotApi

TOKEN = "123456:TEST-token"

__all__ = ["fast"]


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as api:
        yield api
    assert api.unexpected == []
