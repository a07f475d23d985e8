"""A channel that prints messages: the default until Telegram or an SMS gateway is configured,
so that a new installation shows the whole flow from publishing a price to the alert text."""

from __future__ import annotations

import sys
from typing import TextIO

from app.channels.base import OutboundMessage, SendResult


class ConsoleChannel:
    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, message: OutboundMessage) -> SendResult:
        stream = self._stream or sys.stdout
        silent = " (silent)" if message.silent else ""
        stream.write(f"[{self.name} → {message.urn}{silent}] {message.text}\n")
        stream.flush()
        return SendResult(gateway_id=f"console-{message.delivery_id}")

    async def close(self) -> None:
        return None
