"""The gateway with nothing installed: outgoing SMS are printed, and inbound messages come
from `mic ask`, so a new installation shows the whole flow."""

from __future__ import annotations

from app.channels.base import OutboundMessage, SendResult
from app.channels.console import ConsoleChannel
from bots.sms.gateways.base import InboundSms, Receipt, WebhookRefused, WebhookRequest


class ConsoleGateway:
    name = "console"

    def __init__(self) -> None:
        self._printer = ConsoleChannel("sms")

    async def send(self, message: OutboundMessage) -> SendResult:
        return await self._printer.send(message)

    async def close(self) -> None:
        await self._printer.close()

    def read_inbound(self, request: WebhookRequest) -> list[InboundSms]:
        raise WebhookRefused("the console gateway takes inbound messages from `mic ask` only")

    def read_status(self, request: WebhookRequest) -> list[Receipt]:
        raise WebhookRefused("the console gateway sends no delivery reports")
