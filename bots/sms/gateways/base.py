"""What every SMS gateway adapter provides: the outbox Channel (send), and the reading of the
gateway's inbound and status webhooks into InboundSms and Receipt values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from app.channels.base import OutboundMessage, SendResult


class WebhookRefused(Exception):
    """The request is not from our gateway (bad signature or secret): answered with 403."""


class WebhookInvalid(Exception):
    """The request is from the gateway but cannot be read: answered with 400 and logged."""


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as the webhook received it, independent of the web framework."""

    method: str
    url: str  # the full URL the gateway called, as it signed it
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    body: bytes = b""
    form: dict[str, str] = field(default_factory=dict)  # for form-encoded POSTs


@dataclass(frozen=True)
class InboundSms:
    sender: str  # E.164 with +, e.g. +959250000001
    to: str  # our number or short code, as the gateway gave it
    text: str  # decoded to Unicode (Zawgyi is normalised later, with the text layer)
    received_at: dt.datetime
    gateway_id: str | None = None  # the gateway's id of this message, to spot replays


@dataclass(frozen=True)
class Receipt:
    """A delivery report: `delivered` True or False is final; None is an intermediate state
    (queued at the SMSC, accepted) that changes nothing."""

    delivery_id: int | None
    gateway_id: str | None
    delivered: bool | None
    reason: str | None = None


class SmsGateway(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> SendResult: ...

    async def close(self) -> None: ...

    def read_inbound(self, request: WebhookRequest) -> list[InboundSms]:
        """Verify and read an inbound webhook; raises WebhookRefused or WebhookInvalid."""
        ...

    def read_status(self, request: WebhookRequest) -> list[Receipt]:
        """Verify and read a status (delivery report) webhook."""
        ...
