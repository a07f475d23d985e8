"""AndroidGateway: sending through a fake sms-gate.app API, and reading signed webhooks built
from the app's documented example payloads (tests/data/sms/android)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult
from bots.sms.gateways.android import AndroidGateway
from bots.sms.gateways.base import (
    InboundSms,
    Receipt,
    SmsGateway,
    WebhookInvalid,
    WebhookRefused,
    WebhookRequest,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "sms" / "android"
LOCAL = "http://192.168.1.5:8080"
CLOUD = "https://api.sms-gate.app/3rdparty/v1"
USER, PASSWORD = "sms", "local-server-password"
KEY = "signing-key-from-the-app"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
WEBHOOK_URL = "https://mic.example.org/webhooks/sms/android"
BURMESE = "ဆန် ဈေး ၁ တင်း ၁၂၀၀၀ ကျပ်"
MESSAGE = OutboundMessage(delivery_id=42, urn="tel:+959250000001", text="Rice 12000 MMK")


def example(name: str) -> bytes:
    return (DATA / name).read_bytes()


def documented_received() -> bytes:
    """The documented inbound example with its sender, "6505551212" (read as +65 0555 1212, no
    mobile number anywhere), swapped for a Myanmar mobile written the same way: digits, no +."""
    return example("webhook-sms-received.json").replace(b'"6505551212"', b'"959250123456"')


def signed(body: bytes, *, at: float | None = None, key: str = KEY) -> WebhookRequest:
    """A webhook as the app sends it: hex HMAC-SHA256 over the raw body + the timestamp."""
    timestamp = str(int(time.time() if at is None else at))
    signature = hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    return WebhookRequest(
        method="POST",
        url=WEBHOOK_URL,
        headers={
            "content-type": "application/json",
            "x-signature": signature,
            "x-timestamp": timestamp,
        },
        query={},
        body=body,
    )


def event(kind: str, **payload: Any) -> bytes:
    return json.dumps(
        {"deviceId": "dev1", "event": kind, "id": "evt1", "payload": payload, "webhookId": "w1"},
        ensure_ascii=False,
    ).encode()


class FakeApi:
    """The one request a test expects, and the answer to it. Anything else, or a second
    request, raises AssertionError out of the client call and fails the test."""

    def __init__(
        self,
        answer: httpx.Response | type[httpx.TransportError],
        *,
        url: str = f"{LOCAL}/messages",
        body: dict[str, Any] | None = None,
    ) -> None:
        self.answer = answer
        self.url = url
        self.body = body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert len(self.requests) == 1, "a second request"
        assert request.method == "POST", request.method
        assert str(request.url) == self.url, str(request.url)
        assert request.headers.get("authorization") == BASIC, request.headers
        assert request.headers.get("content-type") == "application/json"
        if self.body is not None:
            assert json.loads(request.content) == self.body
        if isinstance(self.answer, httpx.Response):
            return self.answer
        raise self.answer("simulated", request=request)


def no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP request expected, got {request.method} {request.url}")


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., AndroidGateway]]:
    clients: list[httpx.AsyncClient] = []

    def make(
        api: Callable[[httpx.Request], httpx.Response] = no_http, base_url: str = LOCAL
    ) -> AndroidGateway:
        client = httpx.AsyncClient(transport=httpx.MockTransport(api))
        clients.append(client)
        return AndroidGateway(
            base_url=base_url,
            username=USER,
            password=PASSWORD,
            webhook_signing_key=KEY,
            client=client,
        )

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def gateway(connect: Callable[..., AndroidGateway]) -> AndroidGateway:
    return connect()


def test_is_an_sms_gateway(gateway: AndroidGateway) -> None:
    checked: SmsGateway = gateway  # mypy checks the protocol; this checks the name
    assert checked.name == "android"


# -- inbound -------------------------------------------------------------------------------


def test_documented_inbound_example(gateway: AndroidGateway) -> None:
    assert gateway.read_inbound(signed(documented_received())) == [
        InboundSms(
            sender="+959250123456",  # "959250123456": digits without + are read as international
            to="+1234567890",
            text="Android is always a sweet treat!",
            received_at=dt.datetime(2024, 6, 22, 8, 46, 11, tzinfo=dt.UTC),
            gateway_id="abc123",
        )
    ]


def test_burmese_inbound_in_yangon_time(gateway: AndroidGateway) -> None:
    body = event(
        "sms:received",
        messageId="9f3a2b10",
        message=BURMESE,
        sender="+959250000001",
        recipient=None,  # the app may not know the SIM's own number
        simNumber=1,
        receivedAt="2026-03-01T09:30:00.000+06:30",
    )
    [sms] = gateway.read_inbound(signed(body))
    assert sms.text == BURMESE
    assert sms.sender == "+959250000001"
    assert sms.to == ""
    assert sms.received_at == dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    assert sms.received_at.utcoffset() == dt.timedelta(0)
    assert sms.gateway_id == "9f3a2b10"


def test_inbound_from_an_app_before_sender_was_added(gateway: AndroidGateway) -> None:
    body = event(
        "sms:received",
        messageId="1",
        message="PRICE RICE",
        phoneNumber="959250000002",
        receivedAt="2025-01-01T00:00:00Z",
    )
    [sms] = gateway.read_inbound(signed(body))
    assert sms.sender == "+959250000002"


def test_other_events_on_the_inbound_url_are_ignored(gateway: AndroidGateway) -> None:
    assert gateway.read_inbound(signed(example("webhook-sms-sent.json"))) == []
    assert gateway.read_inbound(signed(event("system:ping", health={}))) == []


# -- signature -----------------------------------------------------------------------------


def test_forged_signature_is_refused(gateway: AndroidGateway) -> None:
    with pytest.raises(WebhookRefused, match="wrong signature"):
        gateway.read_inbound(signed(example("webhook-sms-received.json"), key="guessed"))


def test_tampered_body_is_refused(gateway: AndroidGateway) -> None:
    genuine = signed(example("webhook-sms-received.json"))
    tampered = WebhookRequest(
        method=genuine.method,
        url=genuine.url,
        headers=genuine.headers,
        query={},
        body=genuine.body.replace(b"6505551212", b"6505551213"),
    )
    with pytest.raises(WebhookRefused):
        gateway.read_inbound(tampered)


def test_signature_without_the_timestamp_is_refused(gateway: AndroidGateway) -> None:
    body = example("webhook-sms-received.json")
    request = signed(body)
    body_only = hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    headers = {**request.headers, "x-signature": body_only}
    with pytest.raises(WebhookRefused):
        gateway.read_inbound(WebhookRequest("POST", WEBHOOK_URL, headers, {}, body))


@pytest.mark.parametrize("header", ["x-signature", "x-timestamp"])
def test_missing_signature_header_is_refused(gateway: AndroidGateway, header: str) -> None:
    request = signed(example("webhook-sms-received.json"))
    headers = {k: v for k, v in request.headers.items() if k != header}
    with pytest.raises(WebhookRefused, match="missing"):
        gateway.read_inbound(WebhookRequest("POST", WEBHOOK_URL, headers, {}, request.body))


@pytest.mark.parametrize("offset", [-301, -3600, 301])
def test_stale_or_future_timestamp_is_refused(gateway: AndroidGateway, offset: int) -> None:
    request = signed(example("webhook-sms-received.json"), at=time.time() + offset)
    with pytest.raises(WebhookRefused, match="away from now"):
        gateway.read_inbound(request)


def test_timestamp_within_five_minutes_is_accepted(gateway: AndroidGateway) -> None:
    request = signed(documented_received(), at=time.time() - 240)
    assert len(gateway.read_inbound(request)) == 1


def test_a_sender_that_is_no_mobile_number_is_invalid(gateway: AndroidGateway) -> None:
    with pytest.raises(WebhookInvalid, match="'6505551212' is not a phone number"):
        gateway.read_inbound(signed(example("webhook-sms-received.json")))


def test_status_webhook_is_verified_too(gateway: AndroidGateway) -> None:
    with pytest.raises(WebhookRefused):
        gateway.read_status(signed(example("webhook-sms-delivered.json"), key="guessed"))


# -- malformed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"not json", "not JSON"),
        (b"", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "no `event`"),
        (json.dumps({"event": "sms:received"}).encode(), "no `payload`"),
        (event("sms:received", sender="+959250000001", receivedAt="x"), "payload.message"),
        (
            event("sms:received", message="hi", sender="+959250000001", messageId="1"),
            "payload.receivedAt",
        ),
        (
            event(
                "sms:received",
                message="hi",
                sender="+959250000001",
                messageId="1",
                receivedAt="yesterday",
            ),
            "is no time",
        ),
        (
            event(
                "sms:received",
                message="hi",
                sender="+959250000001",
                messageId="1",
                receivedAt="2026-03-01T09:30:00",
            ),
            "no UTC offset",
        ),
        (
            event(
                "sms:received",
                message="promo",
                sender="MPT",
                messageId="1",
                receivedAt="2026-03-01T09:30:00Z",
            ),
            "not a phone number",
        ),
        (
            event("sms:received", message="hi", messageId="1", receivedAt="2026-03-01T09:30Z"),
            "not a phone number",
        ),
    ],
    ids=[
        "text",
        "empty",
        "not utf-8",
        "a list",
        "no payload",
        "no message",
        "no time",
        "bad time",
        "naive time",
        "alphanumeric sender",
        "no sender",
    ],
)
def test_malformed_inbound_is_invalid(gateway: AndroidGateway, body: bytes, complaint: str) -> None:
    with pytest.raises(WebhookInvalid, match=complaint):
        gateway.read_inbound(signed(body))


def test_status_without_message_id_is_invalid(gateway: AndroidGateway) -> None:
    with pytest.raises(WebhookInvalid, match="messageId"):
        gateway.read_status(signed(event("sms:delivered", deliveredAt="2026-02-18T02:10:00Z")))


# -- status --------------------------------------------------------------------------------


def test_documented_status_examples(gateway: AndroidGateway) -> None:
    # Their messageIds ("msg-789") are not ours: matched by gateway id only.
    assert gateway.read_status(signed(example("webhook-sms-delivered.json"))) == [
        Receipt(delivery_id=None, gateway_id="msg-789", delivered=True)
    ]
    assert gateway.read_status(signed(example("webhook-sms-failed.json"))) == [
        Receipt(delivery_id=None, gateway_id="msg-000", delivered=False, reason="Network error")
    ]
    assert gateway.read_status(signed(example("webhook-sms-sent.json"))) == [
        Receipt(delivery_id=None, gateway_id="msg-456", delivered=None)
    ]


def test_status_of_our_message_carries_the_delivery_id(gateway: AndroidGateway) -> None:
    failed = json.loads(example("webhook-sms-failed.json"))
    failed["payload"]["messageId"] = "42"
    body = json.dumps(failed).encode()
    assert gateway.read_status(signed(body)) == [
        Receipt(delivery_id=42, gateway_id="42", delivered=False, reason="Network error")
    ]


def test_failed_without_reason_still_fails(gateway: AndroidGateway) -> None:
    body = event("sms:failed", messageId="7", failedAt="2024-02-20T15:30:00Z")
    assert gateway.read_status(signed(body)) == [
        Receipt(delivery_id=7, gateway_id="7", delivered=False, reason=None)
    ]


def test_inbound_event_on_the_status_url_is_ignored(gateway: AndroidGateway) -> None:
    assert gateway.read_status(signed(example("webhook-sms-received.json"))) == []


# -- sending -------------------------------------------------------------------------------


def accepted(message_id: str = "42") -> httpx.Response:
    return httpx.Response(
        202,
        json={
            "id": message_id,
            "state": "Pending",
            "isHashed": False,
            "isEncrypted": False,
            "recipients": [{"phoneNumber": "+959250000001", "state": "Pending"}],
            "states": {"Pending": "2026-03-01T03:00:00Z"},
        },
    )


EXPECTED_BODY: dict[str, Any] = {
    "id": "42",
    "textMessage": {"text": "Rice 12000 MMK"},
    "phoneNumbers": ["+959250000001"],
    "withDeliveryReport": True,
}


async def test_send_posts_the_documented_request(connect: Callable[..., AndroidGateway]) -> None:
    api = FakeApi(accepted(), body=EXPECTED_BODY)
    result = await connect(api).send(MESSAGE)
    assert result == SendResult(gateway_id="42")
    assert len(api.requests) == 1
    # Only fields of the documented request (plus `id` and `withDeliveryReport`, documented
    # in its field table), in the documented shape.
    documented = json.loads(example("send-message-request.json"))
    assert set(EXPECTED_BODY) <= set(documented) | {"id", "withDeliveryReport"}
    assert set(EXPECTED_BODY["textMessage"]) == set(documented["textMessage"])


async def test_send_through_the_cloud(connect: Callable[..., AndroidGateway]) -> None:
    api = FakeApi(accepted(), url=f"{CLOUD}/messages", body=EXPECTED_BODY)
    assert await connect(api, base_url=CLOUD + "/").send(MESSAGE) == SendResult("42")


async def test_send_burmese(connect: Callable[..., AndroidGateway]) -> None:
    message = OutboundMessage(delivery_id=43, urn="tel:+959250000001", text=BURMESE)
    api = FakeApi(
        accepted("43"), body={**EXPECTED_BODY, "id": "43", "textMessage": {"text": BURMESE}}
    )
    assert await connect(api).send(message) == SendResult("43")


async def test_duplicate_id_means_an_earlier_attempt_got_through(
    connect: Callable[..., AndroidGateway],
) -> None:
    api = FakeApi(httpx.Response(409, json={"message": "message with the same ID already exists"}))
    assert await connect(api).send(MESSAGE) == SendResult(gateway_id="42")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("30", 30.0), ("2.5", 2.5), (None, 1.0), ("soon", 1.0), ("86400", 3600.0)],
)
async def test_429_is_rate_limited(
    connect: Callable[..., AndroidGateway], header: str | None, expected: float
) -> None:
    headers = {"Retry-After": header} if header else {}
    api = FakeApi(httpx.Response(429, headers=headers, json={"message": "too many requests"}))
    with pytest.raises(ChannelError) as caught:
        await connect(api).send(MESSAGE)
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after == expected


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_transient(connect: Callable[..., AndroidGateway], status: int) -> None:
    api = FakeApi(httpx.Response(status, json={"message": "queue limits exceeded"}))
    with pytest.raises(ChannelError) as caught:
        await connect(api).send(MESSAGE)
    assert caught.value.kind is ErrorKind.TRANSIENT
    assert str(status) in caught.value.reason


@pytest.mark.parametrize("failure", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ConnectError])
async def test_network_failure_is_transient(
    connect: Callable[..., AndroidGateway], failure: type[httpx.TransportError]
) -> None:
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(failure)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.TRANSIENT


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_4xx_is_permanent(connect: Callable[..., AndroidGateway], status: int) -> None:
    api = FakeApi(httpx.Response(status, json={"message": "phone number is invalid " + "x" * 500}))
    with pytest.raises(ChannelError) as caught:
        await connect(api).send(MESSAGE)
    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.reason.startswith(f"android: {status} ")
    assert "phone number is invalid" in caught.value.reason
    assert len(caught.value.reason) < 300  # the body is cut short
    assert caught.value.address_invalid is False


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>Wi-Fi login</html>"),
        httpx.Response(202, json={"state": "Pending"}),
        httpx.Response(202, json=["42"]),
    ],
    ids=["html", "no id", "a list"],
)
async def test_unexpected_2xx_is_transient(
    connect: Callable[..., AndroidGateway], answer: httpx.Response
) -> None:
    with pytest.raises(ChannelError, match="unexpected answer") as caught:
        await connect(FakeApi(answer)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.TRANSIENT


async def test_impossible_number_is_not_sent(connect: Callable[..., AndroidGateway]) -> None:
    gateway = connect(no_http)
    with pytest.raises(ChannelError) as caught:
        await gateway.send(OutboundMessage(delivery_id=1, urn="tel:+95925", text="x"))
    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.address_invalid is True


async def test_non_tel_urn_is_not_sent(connect: Callable[..., AndroidGateway]) -> None:
    with pytest.raises(ChannelError, match="not a tel: URN") as caught:
        await connect(no_http).send(OutboundMessage(delivery_id=1, urn="telegram:5", text="x"))
    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.address_invalid is False


async def test_close_leaves_a_client_it_was_given_open() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(no_http)) as client:
        gateway = AndroidGateway(
            base_url=LOCAL, username=USER, password=PASSWORD, webhook_signing_key=KEY, client=client
        )
        await gateway.close()
        assert not client.is_closed


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"[" * 5000 + b"]" * 5000, "not JSON"),  # nesting deeper than the parser's stack
        (b'[{"event": "sms:received"}]', "no `event`"),
        (event("sms:delivered", messageId=str(2**31)), "is not one MIC sent"),
        (
            event(
                "sms:received",
                sender="+959250000001",
                message="hi",
                messageId="a\0",
                receivedAt="2026-03-01T09:30:00.000+06:30",
            ),
            "control character U\\+0000",
        ),
    ],
)
def test_malformed_webhooks_are_invalid_not_errors(
    gateway: AndroidGateway, body: bytes, complaint: str
) -> None:
    read = gateway.read_status if b"delivered" in body else gateway.read_inbound
    with pytest.raises(WebhookInvalid, match=complaint):
        read(signed(body))
