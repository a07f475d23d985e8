"""Log lines carry no secrets and, from INFO up, no phone numbers nor message texts: the lines
httpx writes for the Bot API and Kannel, and uvicorn's access log of Kannel's callbacks."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from app.channels.base import OutboundMessage
from app.core.logging import configure_logging
from bots.sms.gateways.kannel import KannelGateway

BOT_TOKEN = "7012345678:AAEkq3Zx9vB2nT5yR8wQ1mL4pJ7hG0fD3sA"
KANNEL_PASSWORD = "kannel-pw-7731"
CALLBACK_SECRET = "cb-secret-5521"
PHONE = "+959250123456"


class Logs:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def configure(self, level: str, fmt: str = "text") -> None:
        configure_logging(level, fmt)
        [handler] = logging.getLogger().handlers
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(self.stream)

    def getvalue(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def logs() -> Iterator[Logs]:
    """configure_logging writing to a buffer; the root logger is put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("alembic", "apscheduler")}
    yield Logs()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="0: Accepted for delivery")


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_httpx_lines_lose_the_bot_token_and_kannel_credentials(logs: Logs, fmt: str) -> None:
    logs.configure("INFO", fmt)
    transport = httpx.MockTransport(ok)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post(f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage", json={})
        kannel = KannelGateway(
            sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms",
            username="mic",
            password=KANNEL_PASSWORD,
            sender="MIC",
            secret=CALLBACK_SECRET,
            status_url="http://127.0.0.1:8000/webhooks/sms/kannel/status",
            client=client,
        )
        await kannel.send(
            OutboundMessage(delivery_id=7, urn=f"tel:{PHONE}", text="Mango at Muse 12600")
        )

    written = logs.getvalue()
    lines = [json.loads(line)["message"] for line in written.splitlines()] if fmt == "json" else []
    assert "api.telegram.org/bot***/sendMessage" in written
    assert "sendsms?username=mic&password=***" in written
    assert "secret%3D***" in written
    for leaked in (BOT_TOKEN, "AAEkq3Zx9vB2nT5yR8wQ1mL4pJ7hG0fD3sA", KANNEL_PASSWORD):
        assert leaked not in written
    for leaked in (CALLBACK_SECRET, "959250123456", "Mango"):
        assert leaked not in written
    assert "%2B959250123456" not in written and "+959••••••456" in written
    assert fmt == "text" or len(lines) == 2


def test_the_access_log_loses_the_callback_secret_and_the_sender(logs: Logs) -> None:
    logs.configure("INFO")
    # The call uvicorn's HTTP protocols make for each request.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "10.0.0.7:40112",
        "GET",
        f"/webhooks/sms/kannel/inbound?secret={CALLBACK_SECRET}&from=%2B959250123456"
        "&to=1294&text=mango+muse&coding=0",
        "1.1",
        200,
    )

    written = logs.getvalue()
    assert "/webhooks/sms/kannel/inbound?secret=***&from=+959••••••456&to=1294&text=[10]" in (
        written
    )


def test_debug_keeps_numbers_but_never_secrets(logs: Logs) -> None:
    logs.configure("DEBUG")

    logging.getLogger("mic.test").debug("to %s with Bearer %s", PHONE, "mic_abcdefghijklmnop")
    logging.getLogger("mic.test").info("to %s", PHONE)

    first, second = logs.getvalue().splitlines()
    assert first.endswith(f"to {PHONE} with Bearer ***")
    assert second.endswith("to +959••••••456")


def test_a_traceback_is_cleaned_too(logs: Logs) -> None:
    logs.configure("INFO")
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{BOT_TOKEN}/getMe failed")
    except RuntimeError:
        logging.getLogger("mic.test").exception("sending failed")

    written = logs.getvalue()
    assert "bot***/getMe failed" in written and BOT_TOKEN not in written
