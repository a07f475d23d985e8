"""Kannel: MT through smsbox's /cgi-bin/sendsms, MO through an sms-service get-url, delivery
reports through the dlr-url given with each message.

The get-url the operator configures (README) carries our shared secret, because Kannel cannot
sign requests. Kannel passes a UCS-2 message's bytes as they came from the SMSC (%a with
charset=UTF-16BE), so the text is decoded from the raw query string, not from a UTF-8 reading
of it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult
from app.core import clock
from app.producers.addresses import country_of_phone
from app.text.sms import is_gsm7
from bots.sms.gateways.base import (
    InboundSms,
    Receipt,
    WebhookInvalid,
    WebhookRefused,
    WebhookRequest,
)
from bots.sms.gateways.http import excerpt, request
from bots.sms.gateways.numbers import sender_e164, urn_e164

# dlr-mask: 1 delivered, 2 failed, 16 rejected by the SMSC (8 and 4 are intermediate).
DLR_MASK = 1 + 2 + 16
_FINAL = {1: True, 2: False, 16: False}


class KannelGateway:
    name = "kannel"

    def __init__(
        self,
        *,
        sendsms_url: str,
        username: str,
        password: str,
        sender: str,
        senders: dict[str, str] | None = None,
        secret: str,
        status_url: str,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.sendsms_url = sendsms_url
        self.username = username
        self.password = password
        self.sender = sender
        self.senders = senders or {}  # a sender id or short code per country
        self.secret = secret
        self.status_url = status_url  # our /webhooks/sms/kannel/status, as Kannel reaches it
        self._client = client or httpx.AsyncClient(timeout=15)

    async def close(self) -> None:
        await self._client.aclose()

    # --- MT ---------------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        to = urn_e164(message.urn)
        # %d is Kannel's placeholder for the report type; the delivery id tells us which.
        dlr_url = (
            f"{self.status_url}?secret={quote(self.secret)}&delivery={message.delivery_id}"
            "&status=%d&answer=%A"
        )
        params = {
            "username": self.username,
            "password": self.password,
            "from": self.senders.get(country_of_phone(to) or "", self.sender),
            "to": to,
            "text": message.text,
            "charset": "UTF-8",
            "dlr-mask": str(DLR_MASK),
            "dlr-url": dlr_url,
        }
        if not is_gsm7(message.text):
            params["coding"] = "2"  # UCS-2 on the air: Burmese, Khmer, Lao, Chinese, Vietnamese
        response = await request(self._client, self.name, "GET", self.sendsms_url, params=params)
        body = excerpt(response)
        if response.status_code in (200, 202) and body[:2] in ("0:", "3:"):
            return SendResult(gateway_id=str(message.delivery_id))
        if response.status_code >= 500 or response.status_code == 429:
            raise ChannelError(ErrorKind.TRANSIENT, f"Kannel {response.status_code}: {body}")
        # 400 (missing or bad receiver) and 403 (our credentials) will not heal by retrying.
        raise ChannelError(ErrorKind.PERMANENT, f"Kannel {response.status_code}: {body}")

    # --- MO and DLR -------------------------------------------------------------------------

    def _check_secret(self, query: dict[str, str]) -> None:
        given = query.get("secret", "")
        if not given or not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise WebhookRefused("wrong or missing secret in the Kannel callback")

    def read_inbound(self, request: WebhookRequest) -> list[InboundSms]:
        raw = _raw_query(request.url)
        self._check_secret({k: v.decode("latin-1") for k, v in raw.items()})
        sender = raw.get("from", b"").decode("latin-1")
        if not sender:
            raise WebhookInvalid("Kannel callback without from= (configure from=%p)")
        text = _decode(raw.get("text", b""), raw.get("charset", b"").decode("latin-1"))
        received = _timestamp(
            raw.get("ts", b"").decode("latin-1") or raw.get("time", b"").decode("latin-1")
        )
        return [
            InboundSms(
                sender=sender_e164(sender),
                to=raw.get("to", b"").decode("latin-1"),
                text=text,
                received_at=received,
                gateway_id=raw.get("id", b"").decode("latin-1") or None,
            )
        ]

    def read_status(self, request: WebhookRequest) -> list[Receipt]:
        self._check_secret(request.query)
        try:
            delivery = int(request.query["delivery"])
            status = int(request.query["status"])
        except (KeyError, ValueError) as exc:
            raise WebhookInvalid("Kannel report needs delivery= and status=%d") from exc
        delivered = _FINAL.get(status)
        answer = request.query.get("answer") or None
        reason = None if delivered is not False else f"SMSC report {status}: {answer or '-'}"
        return [Receipt(delivery_id=delivery, gateway_id=None, delivered=delivered, reason=reason)]


def _raw_query(url: str) -> dict[str, bytes]:
    """Query parameters as bytes: a UCS-2 text is UTF-16BE bytes, not UTF-8."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True, encoding="latin-1")
    return {k: v.encode("latin-1") for k, v in pairs}


def _decode(data: bytes, charset: str) -> str:
    name = (charset or "UTF-8").upper()
    if name in ("UTF-16BE", "UCS-2", "UTF-16"):
        if len(data) % 2:
            raise WebhookInvalid("UCS-2 text with an odd number of bytes")
        return data.decode("utf-16-be", errors="replace")
    if name in ("ISO-8859-1", "LATIN1", "WINDOWS-1252"):
        return data.decode("latin-1")
    return data.decode("utf-8", errors="replace")


def _timestamp(value: str) -> dt.datetime:
    """%t is "YYYY-MM-DD HH:MM:SS" (UTC), %T Unix seconds; when absent or odd, now."""
    try:
        if value.isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        return clock.utcnow()
