"""The SMS gateway chosen by MIC_SMS_GATEWAY, as the outbox's SMS channel."""

from __future__ import annotations

from app.core.config import Settings
from app.core.errors import ConfigurationError
from bots.sms.gateways.base import SmsGateway
from bots.sms.gateways.console import ConsoleGateway
from bots.sms.gateways.kannel import KannelGateway


def webhook_url(settings: Settings, gateway: str, kind: str) -> str:
    return f"{settings.public_url.rstrip('/')}/webhooks/sms/{gateway}/{kind}"


def build_gateway(settings: Settings) -> SmsGateway:
    name = settings.sms_gateway
    if name == "kannel":
        if not settings.kannel_username:
            raise ConfigurationError("MIC_SMS_GATEWAY=kannel needs MIC_KANNEL_USERNAME")
        return KannelGateway(
            sendsms_url=settings.kannel_sendsms_url,
            username=settings.kannel_username,
            password=settings.kannel_password.get_secret_value(),
            sender=settings.sms_sender,
            senders=settings.sms_sender_by_country,
            secret=settings.sms_webhook_secret.get_secret_value(),
            status_url=webhook_url(settings, "kannel", "status"),
        )
    return ConsoleGateway()
