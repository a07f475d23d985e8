"""What every SMS gateway adapter provides: the outbox Channel (send), and the reading of the
gateway's inbound and status webhooks into InboundSms and Receipt values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from app.channels.base import OutboundMessage, SendResult
from app.core.ids import MAX_ID
from app.text.normalize import control_character

# The longest gateway id stored (inbound_message.external_id, delivery.gateway_id).
GATEWAY_ID_MAX = 100


class WebhookRefused(Exception):
    """The request is not from our gateway (bad signature or secret): answered with 403."""


class WebhookInvalid(Exception):
    """The request is from the gateway but cannot be read: logged and acknowledged with 200, so
    the gateway does not retry it."""


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

    def __post_init__(self) -> None:
        _check_gateway_id(self.gateway_id)


@dataclass(frozen=True)
class Receipt:
    """A delivery report: `delivered` True or False is final; None is an intermediate state
    (queued at the SMSC, accepted) that changes nothing."""

    delivery_id: int | None
    gateway_id: str | None
    delivered: bool | None
    reason: str | None = None

    def __post_init__(self) -> None:
        # Checked here, once for every gateway: a value no delivery can have would only fail
        # in the database, and the webhook would answer 500 to a request we must drop.
        if self.delivery_id is not None and not 1 <= self.delivery_id <= MAX_ID:
            raise WebhookInvalid(f"delivery id {self.delivery_id} is not one MIC sent")
        _check_gateway_id(self.gateway_id)
        if self.reason is not None and (found := control_character(self.reason)):
            raise WebhookInvalid(f"report reason with control character {found}")


def _check_gateway_id(value: str | None) -> None:
    if value is None:
        return
    if len(value) > GATEWAY_ID_MAX:
        raise WebhookInvalid(f"gateway message id of {len(value)} characters")
    if found := control_character(value):
        raise WebhookInvalid(f"gateway message id with control character {found}")


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
