"""The SMS gateway chosen by MIC_SMS_GATEWAY, as the outbox's SMS channel."""

from __future__ import annotations

from app.core.config import Settings
from app.core.errors import ConfigurationError
from bots.sms.gateways.android import AndroidGateway
from bots.sms.gateways.base import SmsGateway
from bots.sms.gateways.console import ConsoleGateway
from bots.sms.gateways.kannel import KannelGateway
from bots.sms.gateways.twilio import TwilioGateway


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
    if name == "android":
        if not (settings.android_url and settings.android_signing_key.get_secret_value()):
            raise ConfigurationError(
                "MIC_SMS_GATEWAY=android needs MIC_ANDROID_URL and MIC_ANDROID_SIGNING_KEY"
            )
        return AndroidGateway(
            base_url=settings.android_url,
            username=settings.android_username,
            password=settings.android_password.get_secret_value(),
            webhook_signing_key=settings.android_signing_key.get_secret_value(),
        )
    if name == "twilio":
        if not (settings.twilio_account_sid and settings.twilio_auth_token.get_secret_value()):
            raise ConfigurationError(
                "MIC_SMS_GATEWAY=twilio needs MIC_TWILIO_ACCOUNT_SID and MIC_TWILIO_AUTH_TOKEN"
            )
        return TwilioGateway(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            sender=settings.sms_sender,
            base_url=settings.twilio_base_url,
            status_callback_url=webhook_url(settings, "twilio", "status"),
        )
    return ConsoleGateway()
