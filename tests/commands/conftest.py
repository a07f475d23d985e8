"""The command brain as a transport uses it: a message in, the replies out."""

from __future__ import annotations

from typing import Protocol

import pytest

from app.commands.handle import Sender, handle_text
from app.commands.parse import load_parser
from app.core.config import Settings
from app.core.db import Database

PHONE = "tel:+959250123456"


class Ask(Protocol):
    async def __call__(
        self, text: str, urn: str = PHONE, channel: str = "sms", locale: str | None = None
    ) -> list[str]: ...


@pytest.fixture
def ask(database: Database, settings: Settings) -> Ask:
    """A message to the command brain, answered in its own transaction as a transport does."""

    async def send(
        text: str, urn: str = PHONE, channel: str = "sms", locale: str | None = None
    ) -> list[str]:
        async with database.session() as s:
            parser = await load_parser(s)
            return await handle_text(
                s, parser=parser, text=text, sender=Sender(urn, channel, locale), settings=settings
            )

    return send
