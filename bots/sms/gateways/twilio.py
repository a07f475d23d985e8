"""Twilio's Messages API, and the gateways that copy it (same paths, form fields and signature).

Sending is a form POST to `/2010-04-01/Accounts/{sid}/Messages.json` with basic auth sid:token.
Twilio posts inbound SMS and status callbacks as forms, signed in `X-Twilio-Signature` with
base64(HMAC-SHA1(auth token, URL + every POST parameter's name and value, sorted by name)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

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

# Twilio errors that say the number itself is dead for us: 21610 the recipient replied STOP,
# 21211 / 21614 the number is invalid or not a mobile. Deactivate the address, do not retry.
ADDRESS_INVALID_CODES = frozenset({21211, 21610, 21614})
_DELIVERED = frozenset({"delivered", "read"})  # "read": WhatsApp/RCS, which implies delivered
_NOT_DELIVERED = frozenset({"undelivered", "failed", "canceled"})
_DELIVERY = re.compile(r"[0-9]{1,18}")


class TwilioGateway:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sender: str,
        base_url: str = "https://api.twilio.com",
        status_callback_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._messages_url = (
            f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        )
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._token = auth_token.encode("utf-8")
        self._sender = sender
        self._status_callback_url = status_callback_url
        # A client passed in (tests, a shared pool) belongs to the caller, who closes it.
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # -- sending ------------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        form = {"To": urn_e164(message.urn), "Body": message.text}
        # A Messaging Service sid (MG...) lets Twilio pick the number from its pool.
        if self._sender.startswith("MG"):
            form["MessagingServiceSid"] = self._sender
        else:
            form["From"] = self._sender
        if self._status_callback_url is not None:
            # Twilio's callback carries its MessageSid only; our id in the URL matches the
            # receipt to the delivery even when the send's answer was lost.
            form["StatusCallback"] = str(
                httpx.URL(self._status_callback_url).copy_merge_params(
                    {"delivery": str(message.delivery_id)}
                )
            )
        # Twilio has no idempotency key for Messages: a retry after a timeout may send twice.
        response = await request(
            self._client, self.name, "POST", self._messages_url, data=form, auth=self._auth
        )

        answer = _json_object(response)
        _raise_for_status(response, answer)
        sid = answer_id(response, self.name, "sid")
        return SendResult(gateway_id=sid)

    # -- webhooks -----------------------------------------------------------------------------

    def read_inbound(self, request: WebhookRequest) -> list[InboundSms]:
        params = self._verified_params(request)
        return [
            InboundSms(
                sender=sender_e164(_field(params, "From")),
                to=_field(params, "To"),
                # An MMS with only a picture has an empty Body: still a message.
                text=_field(params, "Body", allow_empty=True),
                # Twilio sends no time with an inbound SMS; it posts within seconds of receipt.
                received_at=clock.utcnow(),
                gateway_id=_field(params, "MessageSid"),
            )
        ]

    def read_status(self, request: WebhookRequest) -> list[Receipt]:
        params = self._verified_params(request)
        # SmsStatus is the older name of the same field; Twilio still sends both.
        status = params.get("MessageStatus") or params.get("SmsStatus")
        if not status:
            raise WebhookInvalid("twilio status: no MessageStatus")
        sid = _field(params, "MessageSid")
        delivery_id = _delivery_id(request)
        if status in _DELIVERED:
            return [Receipt(delivery_id=delivery_id, gateway_id=sid, delivered=True)]
        if status in _NOT_DELIVERED:
            code, text = params.get("ErrorCode"), params.get("ErrorMessage")
            detail = " ".join(part for part in (code, text) if part)
            reason = f"{status}: {detail}" if detail else status
            return [
                Receipt(delivery_id=delivery_id, gateway_id=sid, delivered=False, reason=reason)
            ]
        # queued, accepted, scheduled, sending, sent, and any status Twilio adds later: the
        # message is still on its way, which changes nothing here.
        return [Receipt(delivery_id=delivery_id, gateway_id=sid, delivered=None)]

    def _verified_params(self, request: WebhookRequest) -> dict[str, str]:
        signature = request.headers.get("x-twilio-signature")
        if not signature:
            raise WebhookRefused("twilio webhook: X-Twilio-Signature missing")
        params = _form(request)
        # Twilio may sign the URL with or without the default port, whichever it was given;
        # its own validator accepts either (twilio-python RequestValidator).
        for url in _url_variants(request.url):
            expected = _signature(self._token, url, params)
            if hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
                return params
        raise WebhookRefused("twilio webhook: wrong signature")


def _signature(token: bytes, url: str, params: dict[str, str]) -> bytes:
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token, signed.encode("utf-8"), hashlib.sha1).digest())


def _url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    variants = [url]
    if default is None or parts.hostname is None:
        return variants
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    if parts.port is None:
        netloc = f"{userinfo}{host}:{default}"
    elif parts.port == default:
        netloc = userinfo + host.rsplit(":", 1)[0]
    else:
        return variants
    variants.append(urlunsplit(parts._replace(netloc=netloc)))
    return variants


def _form(request: WebhookRequest) -> dict[str, str]:
    if request.form or not request.body:
        return dict(request.form)
    # The web layer did not parse the form: read it as Twilio sent it. Blank values are kept,
    # because Twilio signs them too (ToState=, FromZip=...).
    try:
        return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise WebhookInvalid("twilio webhook: body is not a UTF-8 form") from exc


def _field(params: dict[str, str], name: str, *, allow_empty: bool = False) -> str:
    value = params.get(name)
    if value is None or (not value and not allow_empty):
        raise WebhookInvalid(f"twilio webhook: no {name}")
    return value


def _delivery_id(request: WebhookRequest) -> int | None:
    """Our delivery id, from the `?delivery=` we put in the StatusCallback URL. None for a
    message sent without it (from Twilio's console). A value that is no id is WebhookInvalid:
    the URL passed the signature check, so it came from Twilio but cannot be read."""
    raw = request.query.get("delivery")
    if raw is None:
        raw = dict(parse_qsl(urlsplit(request.url).query)).get("delivery")
    if raw is None:
        return None
    if not _DELIVERY.fullmatch(raw):
        raise WebhookInvalid(f"twilio status: delivery {raw!r} is not an id")
    return int(raw)


def _json_object(response: httpx.Response) -> dict[str, object] | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _raise_for_status(response: httpx.Response, answer: dict[str, object] | None) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    # Twilio's error body: {"code": 21211, "message": "Invalid 'To' Phone Number...", ...}.
    code = answer.get("code") if answer is not None else None
    text = answer.get("message") if answer is not None else None
    # Twilio sends the code as a number; a look-alike gateway may send it as a string.
    code_number = int(code) if isinstance(code, int | str) and str(code).isdecimal() else None
    if code is not None or text is not None:
        reason = f"twilio: {status} code {code}: {text}"
    else:
        reason = f"twilio: {status} {excerpt(response)}"
    if status == 429:
        raise ChannelError(ErrorKind.RATE_LIMITED, reason, retry_after=retry_after(response))
    if status >= 500:
        raise ChannelError(ErrorKind.TRANSIENT, reason)
    raise ChannelError(
        ErrorKind.PERMANENT, reason, address_invalid=code_number in ADDRESS_INVALID_CODES
    )
