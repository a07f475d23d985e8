"""SMS Gateway for Android (sms-gate.app, github.com/capcom6/android-sms-gateway): an Android
phone with a SIM sends our messages and posts what it receives to our webhooks.

The same API is served by the phone itself (local server mode, `http://<phone-ip>:8080`) and by
the vendor's relay (cloud mode, `https://api.sms-gate.app/3rdparty/v1`): POST `{base_url}/messages`
with basic auth. The app has no per-message callback URL: webhooks are registered once per event
(`sms:received`, `sms:sent`, `sms:delivered`, `sms:failed`) and signed with the app's signing key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

import httpx

from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult
from app.core import clock
from bots.sms.gateways.base import (
    InboundSms,
    Receipt,
    WebhookInvalid,
    WebhookRefused,
    WebhookRequest,
)
from bots.sms.gateways.http import answer_id, excerpt, request, retry_after
from bots.sms.gateways.numbers import sender_e164, urn_e164

# The app's documentation advises refusing timestamps more than ±5 minutes away: a captured
# request replayed later is refused even though its signature is genuine.
MAX_CLOCK_SKEW_S = 300
# The ids we send are delivery ids, decimal digits (the API takes up to 36 characters); ids
# the app makes itself are 21-character nanoids.
_OUR_ID = re.compile(r"[0-9]{1,18}")
_STATUS_EVENTS = ("sms:sent", "sms:delivered", "sms:failed")


class AndroidGateway:
    name = "android"

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        webhook_signing_key: str,
        client: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._messages_url = base_url.rstrip("/") + "/messages"
        self._auth = httpx.BasicAuth(username, password)
        self._signing_key = webhook_signing_key.encode("utf-8")
        # A client passed in (tests, a shared pool) belongs to the caller, who closes it.
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # -- sending ------------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        our_id = str(message.delivery_id)
        body = {
            # Our delivery id as the message id: the sms:sent/delivered/failed webhooks carry it
            # back as `messageId`, and the cloud server answers 409 to a second message with the
            # same id, which makes a retry after a lost answer harmless.
            "id": our_id,
            "textMessage": {"text": message.text},
            "phoneNumbers": [urn_e164(message.urn)],
            # The default is true, but our receipts depend on it: say so.
            "withDeliveryReport": True,
        }
        response = await request(
            self._client, self.name, "POST", self._messages_url, json=body, auth=self._auth
        )

        if response.status_code == 409:
            # "Message with the same ID already exists" (cloud server; the phone's own server
            # was not seen to answer it): an earlier attempt whose answer we lost was accepted.
            # Sending twice is what we must avoid. This trusts delivery ids never to be reused
            # against the same account (a database restarted from scratch would reuse them).
            return SendResult(gateway_id=our_id)
        _raise_for_status(response)
        # Retrying after an unexpected answer cannot duplicate: the message id is ours.
        gateway_id = answer_id(response, self.name, "id")
        return SendResult(gateway_id=gateway_id)

    # -- webhooks -----------------------------------------------------------------------------

    def read_inbound(self, request: WebhookRequest) -> list[InboundSms]:
        event = self._verified_event(request)
        if event["event"] != "sms:received":
            # One URL per event is registered, but a misregistered event must not be an error
            # the app retries for two days.
            return []
        payload = _payload(event)
        # `sender` since the 2026-02 payloads; `phoneNumber` (deprecated) before.
        raw_sender = payload.get("sender") or payload.get("phoneNumber")
        recipient = payload.get("recipient")
        return [
            InboundSms(
                sender=sender_e164(raw_sender),
                # Null when the app may not read the SIM's own number.
                to=recipient if isinstance(recipient, str) else "",
                text=_text_field(payload, "message"),
                received_at=_timestamp(payload, "receivedAt"),
                # A hash of (sender, date, text, SIM): the same for a retried webhook and for an
                # inbox re-export, which is what spotting replays needs. Not unique across
                # different messages (32 bits), so do not use it alone as a key.
                gateway_id=_text_field(payload, "messageId"),
            )
        ]

    def read_status(self, request: WebhookRequest) -> list[Receipt]:
        event = self._verified_event(request)
        kind = event["event"]
        if kind not in _STATUS_EVENTS:
            return []
        payload = _payload(event)
        message_id = _text_field(payload, "messageId")
        # The id we sent is our delivery id; a message sent from the phone's own UI has a
        # random id, which matches nothing of ours and is left to gateway_id.
        delivery_id = int(message_id) if _OUR_ID.fullmatch(message_id) else None
        if kind == "sms:delivered":
            return [Receipt(delivery_id=delivery_id, gateway_id=message_id, delivered=True)]
        if kind == "sms:failed":
            reason = payload.get("reason")
            return [
                Receipt(
                    delivery_id=delivery_id,
                    gateway_id=message_id,
                    delivered=False,
                    reason=str(reason) if reason is not None else None,
                )
            ]
        # sms:sent: the SMSC took it; not final.
        return [Receipt(delivery_id=delivery_id, gateway_id=message_id, delivered=None)]

    def _verified_event(self, request: WebhookRequest) -> dict[str, Any]:
        self._verify(request)
        try:
            event = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise WebhookInvalid(f"android webhook: body is not JSON ({exc!r})") from exc
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise WebhookInvalid("android webhook: no `event` in the body")
        return event

    def _verify(self, request: WebhookRequest) -> None:
        """The app signs hex(HMAC-SHA256(key, raw body + X-Timestamp)), the timestamp being Unix
        seconds (docs-web, features/webhooks.md, "Payload Signing")."""
        signature = request.headers.get("x-signature")
        timestamp = request.headers.get("x-timestamp")
        if not signature or not timestamp:
            raise WebhookRefused("android webhook: X-Signature or X-Timestamp missing")
        expected = hmac.new(
            self._signing_key, request.body + timestamp.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        # Bytes, not str: compare_digest refuses non-ASCII str, and a header is attacker data.
        if not hmac.compare_digest(
            expected.encode("ascii"), signature.strip().lower().encode("utf-8", "replace")
        ):
            raise WebhookRefused("android webhook: wrong signature")
        try:
            signed_at = int(timestamp)
        except ValueError as exc:
            raise WebhookRefused(f"android webhook: X-Timestamp {timestamp!r} is no time") from exc
        skew = abs(clock.utcnow().timestamp() - signed_at)
        if skew > MAX_CLOCK_SKEW_S:
            raise WebhookRefused(f"android webhook: timestamp {skew:.0f} s away from now")


def _payload(event: dict[str, Any]) -> dict[str, Any]:
    payload = event.get("payload")
    if not isinstance(payload, dict):
        raise WebhookInvalid(f"android webhook {event['event']}: no `payload` object")
    return payload


def _text_field(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise WebhookInvalid(f"android webhook: `payload.{name}` missing or not a string")
    return value


def _timestamp(payload: dict[str, Any], name: str) -> dt.datetime:
    """`2024-06-22T15:46:11.000+07:00` (the phone's local zone) -> aware UTC."""
    raw = _text_field(payload, name)
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise WebhookInvalid(f"android webhook: `payload.{name}` {raw!r} is no time") from exc
    if value.tzinfo is None:
        # The app always writes the offset; without it the phone's zone is a guess.
        raise WebhookInvalid(f"android webhook: `payload.{name}` {raw!r} has no UTC offset")
    return value.astimezone(dt.UTC)


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        raise ChannelError(
            ErrorKind.RATE_LIMITED,
            f"android: 429 {excerpt(response)}",
            retry_after=retry_after(response),
        )
    if status >= 500:
        # 503 is also "queue limits exceeded; ensure device is online": the phone is away.
        raise ChannelError(ErrorKind.TRANSIENT, f"android: {status} {excerpt(response)}")
    raise ChannelError(ErrorKind.PERMANENT, f"android: {status} {excerpt(response)}")
