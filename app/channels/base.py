"""The contract between the dispatcher and a channel that delivers messages.

A channel sends one message and either returns a `SendResult` or raises `ChannelError` with a
kind the dispatcher knows how to treat: retry later, pause the whole channel, or give up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class ErrorKind(enum.StrEnum):
    TRANSIENT = "transient"  # network trouble, 5xx, timeouts: retry with backoff
    RATE_LIMITED = "rate_limited"  # 429: pause the whole channel for retry_after seconds
    # The channel itself is down (app/channels/outage.py): paused like RATE_LIMITED, the
    # attempt given back. The dispatcher says so, never a channel.
    UNAVAILABLE = "unavailable"
    PERMANENT = "permanent"  # will never work (bad number, bot blocked): fail at once


@dataclass(frozen=True)
class OutboundMessage:
    delivery_id: int
    urn: str  # tel:+959... or telegram:123456
    text: str
    silent: bool = False  # Telegram: deliver without a notification sound (quiet hours)


@dataclass(frozen=True)
class SendResult:
    gateway_id: str | None = None  # the gateway's message id, to match delivery receipts


class ChannelError(Exception):
    def __init__(
        self,
        kind: ErrorKind,
        reason: str,
        *,
        retry_after: float | None = None,
        address_invalid: bool = False,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason[:500]
        self.retry_after = retry_after
        # The address itself is dead (bot blocked, number not in service): deactivate it.
        self.address_invalid = address_invalid


@runtime_checkable
class Channel(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> SendResult: ...

    async def close(self) -> None: ...
