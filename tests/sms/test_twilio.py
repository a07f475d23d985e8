"""TwilioGateway: sending through a fake Messages API, and reading signed form webhooks
(the inbound example in tests/data/sms/twilio, status callbacks as Twilio documents them)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult
from bots.sms.gateways.base import (
    InboundSms,
    Receipt,
    SmsGateway,
    WebhookInvalid,
    WebhookRefused,
    WebhookRequest,
)
from bots.sms.gateways.twilio import TwilioGateway, _signature

DATA = Path(__file__).resolve().parent.parent / "data" / "sms" / "twilio"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token"
FROM = "+15005550006"
BASIC = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
INBOUND_URL = "https://mic.example.org/webhooks/sms/twilio/inbound"
STATUS_URL = "https://mic.example.org/webhooks/sms/twilio/status"
BURMESE = "ဆန် ဈေး ၁ တင်း ၁၂၀၀၀ ကျပ်"
MESSAGE = OutboundMessage(delivery_id=42, urn="tel:+959250000001", text="Rice 12000 MMK")


def inbound_example() -> dict[str, str]:
    """The documented inbound parameters, blank values included (Twilio signs those too)."""
    lines = (DATA / "inbound-sms-form-example.txt").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {name: value for name, value in pairs}


def twilio_signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """Written out independently of the module under test, from Twilio's documentation."""
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed(url: str, params: dict[str, str], *, token: str = TOKEN) -> WebhookRequest:
    query = dict(parse_qsl(httpx.URL(url).query.decode()))
    return WebhookRequest(
        method="POST",
        url=url,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": twilio_signature(url, params, token),
        },
        query=query,
        body=urlencode(params).encode(),
        form=params,
    )


def status(message_status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": SID,
        "ApiVersion": "2010-04-01",
        "From": FROM,
        "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "MessageStatus": message_status,
        "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "SmsStatus": message_status,
        "To": "+959250000001",
        **extra,
    }


class FakeApi:
    """The one request a test expects, and the answer to it. Anything else, or a second
    request, raises AssertionError out of the client call and fails the test."""

    def __init__(
        self,
        answer: httpx.Response | type[httpx.TransportError],
        *,
        form: dict[str, str] | None = None,
    ) -> None:
        self.answer = answer
        self.form = form
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert len(self.requests) == 1, "a second request"
        assert request.method == "POST", request.method
        assert str(request.url) == MESSAGES_URL, str(request.url)
        assert request.headers.get("authorization") == BASIC, request.headers
        assert request.headers.get("content-type") == "application/x-www-form-urlencoded"
        if self.form is not None:
            assert dict(parse_qsl(request.content.decode(), keep_blank_values=True)) == self.form
        if isinstance(self.answer, httpx.Response):
            return self.answer
        raise self.answer("simulated", request=request)


def no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP request expected, got {request.method} {request.url}")


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., TwilioGateway]]:
    clients: list[httpx.AsyncClient] = []

    def make(
        api: Callable[[httpx.Request], httpx.Response] = no_http, **options: Any
    ) -> TwilioGateway:
        client = httpx.AsyncClient(transport=httpx.MockTransport(api))
        clients.append(client)
        settings: dict[str, Any] = {
            "account_sid": SID,
            "auth_token": TOKEN,
            "sender": FROM,
            "status_callback_url": STATUS_URL,
            "client": client,
            **options,
        }
        return TwilioGateway(**settings)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def gateway(connect: Callable[..., TwilioGateway]) -> TwilioGateway:
    return connect()


def test_is_an_sms_gateway(gateway: TwilioGateway) -> None:
    checked: SmsGateway = gateway
    assert checked.name == "twilio"


def test_signature_matches_twilios_published_vector() -> None:
    # The example of Twilio's request-validation docs and of its libraries' own tests
    # (twilio-php, twilio-csharp RequestValidatorTest): token 12345.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert _signature(b"12345", url, params) == b"RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature(url, params, token="12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


# -- inbound -------------------------------------------------------------------------------


def test_documented_inbound_example(gateway: TwilioGateway) -> None:
    before = dt.datetime.now(dt.UTC)
    [sms] = gateway.read_inbound(signed(INBOUND_URL, inbound_example()))
    assert sms == InboundSms(
        sender="+31612345678",
        to="+3197014204768",
        text="St",
        received_at=sms.received_at,
        gateway_id="SMb711289e438f577f230f5837e9c74a08",
    )
    # Twilio sends no time: the moment we read it, in UTC.
    assert before <= sms.received_at <= dt.datetime.now(dt.UTC)
    assert sms.received_at.utcoffset() == dt.timedelta(0)


def test_burmese_inbound(gateway: TwilioGateway) -> None:
    params = {**inbound_example(), "From": "+959250000001", "Body": BURMESE}
    [sms] = gateway.read_inbound(signed(INBOUND_URL, params))
    assert sms.text == BURMESE
    assert sms.sender == "+959250000001"


def test_inbound_read_from_the_raw_body(gateway: TwilioGateway) -> None:
    # The web layer may hand over the body without parsing it: blank fields must survive,
    # since they are signed.
    request = signed(INBOUND_URL, inbound_example())
    raw = WebhookRequest(request.method, request.url, request.headers, {}, request.body)
    assert [sms.gateway_id for sms in gateway.read_inbound(raw)] == [
        "SMb711289e438f577f230f5837e9c74a08"
    ]


def test_inbound_signed_with_the_default_port(gateway: TwilioGateway) -> None:
    params = inbound_example()
    request = signed(INBOUND_URL, params)
    with_port = twilio_signature("https://mic.example.org:443/webhooks/sms/twilio/inbound", params)
    headers = {**request.headers, "x-twilio-signature": with_port}
    assert len(gateway.read_inbound(WebhookRequest("POST", INBOUND_URL, headers, {}, b"", params)))


def test_forged_signature_is_refused(gateway: TwilioGateway) -> None:
    with pytest.raises(WebhookRefused, match="wrong signature"):
        gateway.read_inbound(signed(INBOUND_URL, inbound_example(), token="guessed"))


def test_tampered_parameter_is_refused(gateway: TwilioGateway) -> None:
    request = signed(INBOUND_URL, inbound_example())
    tampered = {**request.form, "Body": "STOP"}
    with pytest.raises(WebhookRefused):
        gateway.read_inbound(
            WebhookRequest("POST", INBOUND_URL, request.headers, {}, b"", tampered)
        )


def test_signature_for_another_url_is_refused(gateway: TwilioGateway) -> None:
    request = signed(INBOUND_URL, inbound_example())
    moved = WebhookRequest("POST", STATUS_URL, request.headers, {}, b"", request.form)
    with pytest.raises(WebhookRefused):
        gateway.read_inbound(moved)


def test_missing_signature_is_refused(gateway: TwilioGateway) -> None:
    request = signed(INBOUND_URL, inbound_example())
    headers = {k: v for k, v in request.headers.items() if k != "x-twilio-signature"}
    with pytest.raises(WebhookRefused, match="missing"):
        gateway.read_inbound(WebhookRequest("POST", INBOUND_URL, headers, {}, b"", request.form))


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"From": None}, "no From"),
        ({"MessageSid": None}, "no MessageSid"),
        ({"To": None}, "no To"),
        ({"Body": None}, "no Body"),
        ({"From": "Twilio"}, "not a phone number"),
    ],
    ids=["no From", "no MessageSid", "no To", "no Body", "alphanumeric From"],
)
def test_malformed_inbound_is_invalid(
    gateway: TwilioGateway, change: dict[str, str | None], complaint: str
) -> None:
    params = {**inbound_example(), **change}
    kept = {name: value for name, value in params.items() if value is not None}
    with pytest.raises(WebhookInvalid, match=complaint):
        gateway.read_inbound(signed(INBOUND_URL, kept))


def test_picture_only_mms_has_empty_text(gateway: TwilioGateway) -> None:
    params = {**inbound_example(), "Body": "", "NumMedia": "1"}
    assert [sms.text for sms in gateway.read_inbound(signed(INBOUND_URL, params))] == [""]


# -- status --------------------------------------------------------------------------------


def test_delivered(gateway: TwilioGateway) -> None:
    assert gateway.read_status(signed(f"{STATUS_URL}?delivery=42", status("delivered"))) == [
        Receipt(delivery_id=42, gateway_id="SM1f0e8ae6ade43cb3c0ce4525424e404f", delivered=True)
    ]


def test_undelivered_with_the_error(gateway: TwilioGateway) -> None:
    params = status(
        "undelivered", ErrorCode="30003", ErrorMessage="Unreachable destination handset"
    )
    [receipt] = gateway.read_status(signed(f"{STATUS_URL}?delivery=42", params))
    assert receipt.delivered is False
    assert receipt.delivery_id == 42
    assert receipt.reason == "undelivered: 30003 Unreachable destination handset"


def test_failed_with_a_code_only(gateway: TwilioGateway) -> None:
    [receipt] = gateway.read_status(
        signed(f"{STATUS_URL}?delivery=42", status("failed", ErrorCode="30008"))
    )
    assert (receipt.delivered, receipt.reason) == (False, "failed: 30008")


@pytest.mark.parametrize("intermediate", ["queued", "accepted", "sending", "sent", "scheduled"])
def test_intermediate_status_changes_nothing(gateway: TwilioGateway, intermediate: str) -> None:
    [receipt] = gateway.read_status(signed(f"{STATUS_URL}?delivery=42", status(intermediate)))
    assert receipt.delivered is None
    assert receipt.delivery_id == 42


def test_delivery_id_read_from_the_url_when_the_query_is_not_given(
    gateway: TwilioGateway,
) -> None:
    request = signed(f"{STATUS_URL}?delivery=42", status("delivered"))
    bare = WebhookRequest("POST", request.url, request.headers, {}, b"", request.form)
    assert [r.delivery_id for r in gateway.read_status(bare)] == [42]


def test_status_without_delivery_is_matched_by_sid(gateway: TwilioGateway) -> None:
    [receipt] = gateway.read_status(signed(STATUS_URL, status("delivered")))
    assert (receipt.delivery_id, receipt.gateway_id) == (None, "SM1f0e8ae6ade43cb3c0ce4525424e404f")


def test_status_signed_without_the_query_is_refused(gateway: TwilioGateway) -> None:
    # Someone moving a genuine receipt onto another delivery by editing ?delivery=.
    request = signed(f"{STATUS_URL}?delivery=42", status("delivered"))
    moved = WebhookRequest(
        "POST", f"{STATUS_URL}?delivery=43", request.headers, {"delivery": "43"}, b"", request.form
    )
    with pytest.raises(WebhookRefused):
        gateway.read_status(moved)


@pytest.mark.parametrize(
    ("url", "params", "complaint"),
    [
        (f"{STATUS_URL}?delivery=abc", status("delivered"), "not an id"),
        (
            f"{STATUS_URL}?delivery=1",
            {k: v for k, v in status("delivered").items() if "Status" not in k},
            "no MessageStatus",
        ),
        (
            f"{STATUS_URL}?delivery=1",
            {k: v for k, v in status("delivered").items() if k != "MessageSid"},
            "no MessageSid",
        ),
    ],
    ids=["delivery not a number", "no status", "no sid"],
)
def test_malformed_status_is_invalid(
    gateway: TwilioGateway, url: str, params: dict[str, str], complaint: str
) -> None:
    with pytest.raises(WebhookInvalid, match=complaint):
        gateway.read_status(signed(url, params))


def test_forged_status_is_refused(gateway: TwilioGateway) -> None:
    with pytest.raises(WebhookRefused):
        gateway.read_status(signed(f"{STATUS_URL}?delivery=42", status("delivered"), token="x"))


# -- sending -------------------------------------------------------------------------------


def created() -> httpx.Response:
    return httpx.Response(
        201,
        json={
            "sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
            "status": "queued",
            "to": "+959250000001",
        },
    )


EXPECTED_FORM = {
    "To": "+959250000001",
    "From": FROM,
    "Body": "Rice 12000 MMK",
    "StatusCallback": f"{STATUS_URL}?delivery=42",
}


async def test_send_returns_the_sid(connect: Callable[..., TwilioGateway]) -> None:
    api = FakeApi(created(), form=EXPECTED_FORM)
    assert await connect(api).send(MESSAGE) == SendResult("SM1f0e8ae6ade43cb3c0ce4525424e404f")
    assert len(api.requests) == 1


async def test_send_burmese(connect: Callable[..., TwilioGateway]) -> None:
    message = OutboundMessage(delivery_id=42, urn="tel:+959250000001", text=BURMESE)
    api = FakeApi(created(), form={**EXPECTED_FORM, "Body": BURMESE})
    assert (await connect(api).send(message)).gateway_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"


async def test_send_through_a_messaging_service(connect: Callable[..., TwilioGateway]) -> None:
    form = {k: v for k, v in EXPECTED_FORM.items() if k != "From"}
    api = FakeApi(created(), form={**form, "MessagingServiceSid": "MG0123456789abcdef"})
    assert await connect(api, sender="MG0123456789abcdef").send(MESSAGE) == SendResult(
        "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    )


async def test_callback_url_keeps_its_own_query(connect: Callable[..., TwilioGateway]) -> None:
    callback = f"{STATUS_URL}?key=abc"
    api = FakeApi(created(), form={**EXPECTED_FORM, "StatusCallback": f"{callback}&delivery=42"})
    assert (await connect(api, status_callback_url=callback).send(MESSAGE)).gateway_id


async def test_no_callback_without_a_public_url(connect: Callable[..., TwilioGateway]) -> None:
    form = {k: v for k, v in EXPECTED_FORM.items() if k != "StatusCallback"}
    api = FakeApi(created(), form=form)
    assert (await connect(api, status_callback_url=None).send(MESSAGE)).gateway_id


def twilio_error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


@pytest.mark.parametrize(("header", "expected"), [("10", 10.0), (None, 1.0)])
async def test_429_is_rate_limited(
    connect: Callable[..., TwilioGateway], header: str | None, expected: float
) -> None:
    answer = twilio_error(429, 20429, "Too Many Requests")
    if header:
        answer.headers["Retry-After"] = header
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(answer)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after == expected
    assert "20429" in caught.value.reason


@pytest.mark.parametrize("answer", [twilio_error(500, 20500, "Internal"), httpx.Response(503)])
async def test_5xx_is_transient(
    connect: Callable[..., TwilioGateway], answer: httpx.Response
) -> None:
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(answer)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.TRANSIENT
    assert str(answer.status_code) in caught.value.reason


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.ConnectError])
async def test_network_failure_is_transient(
    connect: Callable[..., TwilioGateway], failure: type[httpx.TransportError]
) -> None:
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(failure)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.TRANSIENT


async def test_400_is_permanent_with_code_and_message(
    connect: Callable[..., TwilioGateway],
) -> None:
    answer = twilio_error(400, 21408, "Permission to send an SMS has not been enabled")
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(answer)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.address_invalid is False
    assert "400" in caught.value.reason
    assert "21408" in caught.value.reason
    assert "Permission to send" in caught.value.reason


async def test_401_is_permanent(connect: Callable[..., TwilioGateway]) -> None:
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(twilio_error(401, 20003, "Authenticate"))).send(MESSAGE)
    assert caught.value.kind is ErrorKind.PERMANENT


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "Invalid 'To' Phone Number"),
        (21614, "'To' number is not a valid mobile number"),
        (21610, "Attempt to send to unsubscribed recipient"),
    ],
)
async def test_dead_number_is_address_invalid(
    connect: Callable[..., TwilioGateway], code: int, message: str
) -> None:
    with pytest.raises(ChannelError) as caught:
        await connect(FakeApi(twilio_error(400, code, message))).send(MESSAGE)
    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.address_invalid is True
    assert str(code) in caught.value.reason


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(200, text="<html>proxy</html>"), httpx.Response(201, json={"status": "x"})],
    ids=["html", "no sid"],
)
async def test_unexpected_2xx_is_transient(
    connect: Callable[..., TwilioGateway], answer: httpx.Response
) -> None:
    with pytest.raises(ChannelError, match="unexpected answer") as caught:
        await connect(FakeApi(answer)).send(MESSAGE)
    assert caught.value.kind is ErrorKind.TRANSIENT


async def test_impossible_number_is_not_sent(connect: Callable[..., TwilioGateway]) -> None:
    with pytest.raises(ChannelError) as caught:
        await connect(no_http).send(OutboundMessage(delivery_id=1, urn="tel:12", text="x"))
    assert caught.value.address_invalid is True
