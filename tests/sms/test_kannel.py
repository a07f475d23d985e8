"""The Kannel adapter against the real requests Kannel 1.4.5 made (tests/data/sms/kannel) and
a mock sendsms that checks every parameter."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.channels.base import ChannelError, ErrorKind, OutboundMessage
from bots.sms.gateways.base import WebhookInvalid, WebhookRefused, WebhookRequest
from bots.sms.gateways.kannel import DLR_MASK, KannelGateway

CAPTURED = [
    json.loads(line)
    for line in (
        Path(__file__).parent.parent / "data/sms/kannel/kannel-1.4.5-captured-callbacks.jsonl"
    )
    .read_text()
    .splitlines()
]
MO = [c for c in CAPTURED if c["kind"] == "mo"]
BURMESE = "သရက်သီး ဈေး မူဆယ်"


def gateway(handler: httpx.MockTransport | None = None) -> KannelGateway:
    return KannelGateway(
        sendsms_url="http://kannel.test/cgi-bin/sendsms",
        username="mic",
        password="pw",
        sender="1234",
        senders={"KH": "1294"},
        secret="s3cret",
        status_url="http://mic.test/webhooks/sms/kannel/status",
        client=httpx.AsyncClient(transport=handler) if handler else None,
    )


def callback(captured: dict[str, str], secret: str = "s3cret") -> WebhookRequest:  # noqa: S107
    """A captured Kannel request, re-aimed at our inbound URL with the secret added."""
    query = captured["path"].split("?", 1)[1]
    url = f"http://mic.test/webhooks/sms/kannel/inbound?secret={secret}&{query}"
    return WebhookRequest(method="GET", url=url, headers={}, query={"secret": secret})


def test_reads_ascii_utf8_and_ucs2_messages_as_kannel_sent_them() -> None:
    kannel = gateway()
    ascii_mo, _, utf8_mo, ucs2_mo = (kannel.read_inbound(callback(c))[0] for c in MO)
    assert (ascii_mo.sender, ascii_mo.to, ascii_mo.text) == (
        "+959250000001",
        "1234",
        "PRICE MANGO MUSE",
    )
    assert utf8_mo.text == BURMESE and utf8_mo.sender == "+959250000002"
    assert ucs2_mo.text == BURMESE and ucs2_mo.sender == "+959250000003"  # coding=2, UTF-16BE
    assert ucs2_mo.gateway_id == "d9080138-7a49-431c-acda-c1526d02ec8e"
    assert ucs2_mo.received_at.isoformat() == "2026-11-27T21:55:28+00:00"


def test_refuses_a_missing_or_wrong_secret_and_reads_no_odd_ucs2() -> None:
    kannel = gateway()
    with pytest.raises(WebhookRefused):
        kannel.read_inbound(callback(MO[0], secret="guess"))
    odd = WebhookRequest(
        method="GET",
        url="http://mic.test/x?secret=s3cret&from=959250000003&text=%10%1E%10&charset=UTF-16BE",
        headers={},
        query={},
    )
    with pytest.raises(WebhookInvalid, match="odd number of bytes"):
        kannel.read_inbound(odd)
    with pytest.raises(WebhookInvalid, match="not a phone number"):
        kannel.read_inbound(
            WebhookRequest("GET", "http://mic.test/x?secret=s3cret&from=MPT&text=hi", {}, {})
        )


@pytest.mark.parametrize(
    ("status", "delivered"), [("1", True), ("2", False), ("16", False), ("8", None), ("4", None)]
)
def test_delivery_reports(status: str, delivered: bool | None) -> None:
    query = {"secret": "s3cret", "delivery": "42", "status": status, "answer": "NACK/"}
    [receipt] = gateway().read_status(WebhookRequest("GET", "http://mic.test/s", {}, query))
    assert (receipt.delivery_id, receipt.delivered) == (42, delivered)
    assert (receipt.reason is not None) == (delivered is False)


async def test_sends_burmese_as_ucs2_with_a_delivery_report_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/cgi-bin/sendsms", request.url
        seen.append(request)
        return httpx.Response(202, text="0: Accepted for delivery")

    kannel = gateway(httpx.MockTransport(handler))
    result = await kannel.send(OutboundMessage(7, "tel:+959250000001", BURMESE))
    await kannel.send(OutboundMessage(8, "tel:+959250000001", "Mango at Muse: 12600"))
    await kannel.close()
    burmese, english = (dict(r.url.params) for r in seen)
    assert result.gateway_id == "7"
    assert burmese["text"] == BURMESE and burmese["coding"] == "2" and burmese["charset"] == "UTF-8"
    assert (burmese["username"], burmese["password"], burmese["from"], burmese["to"]) == (
        "mic",
        "pw",
        "1234",
        "+959250000001",
    )
    assert burmese["dlr-mask"] == str(DLR_MASK)
    assert burmese["dlr-url"] == (
        "http://mic.test/webhooks/sms/kannel/status?secret=s3cret&delivery=7&status=%d&answer=%A"
    )
    assert "coding" not in english  # GSM-7


async def test_the_sender_id_follows_the_recipients_country() -> None:
    senders: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        senders.append(request.url.params["from"])
        return httpx.Response(202, text="0: Accepted for delivery")

    kannel = gateway(httpx.MockTransport(handler))
    await kannel.send(OutboundMessage(1, "tel:+85512345678", "x"))
    await kannel.send(OutboundMessage(2, "tel:+959250000001", "x"))
    await kannel.close()
    assert senders == ["1294", "1234"]


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (403, "Authorization failed for sendsms", ErrorKind.PERMANENT),
        (400, "Missing receiver number, rejected", ErrorKind.PERMANENT),
        (503, "<html>busy</html>", ErrorKind.TRANSIENT),
        (202, "<html>proxy error page</html>", ErrorKind.PERMANENT),
    ],
)
async def test_sendsms_answers_map_to_error_kinds(status: int, body: str, kind: ErrorKind) -> None:
    kannel = gateway(httpx.MockTransport(lambda _r: httpx.Response(status, text=body)))
    with pytest.raises(ChannelError) as caught:
        await kannel.send(OutboundMessage(1, "tel:+959250000001", "x"))
    await kannel.close()
    assert caught.value.kind is kind and str(status) in caught.value.reason


async def test_queued_for_later_is_accepted_and_an_unreachable_kannel_is_transient() -> None:
    kannel = gateway(
        httpx.MockTransport(lambda _r: httpx.Response(202, text="3: Queued for later delivery"))
    )
    assert (await kannel.send(OutboundMessage(3, "tel:+959250000001", "x"))).gateway_id == "3"
    await kannel.close()

    def down(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    kannel = gateway(httpx.MockTransport(down))
    with pytest.raises(ChannelError) as caught:
        await kannel.send(OutboundMessage(4, "tel:+959250000001", "x"))
    await kannel.close()
    assert caught.value.kind is ErrorKind.TRANSIENT
