"""The Kannel harness against the real Kannel 1.4.5: MO to get-url, long UCS-2 MT with DLRs, and
a bearerbox restart. These tests fail (they never skip) when Kannel is not installed."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fakes.kannel import (
    BEARERBOX,
    SMSBOX,
    KannelHarness,
    parse_mt_line,
)

BURMESE = "သရက်သီး ဈေး မူဆယ်"  # "mango price Muse"
SECRET = "s3cret-mo"
SHORTCODE = "1234"


@dataclass(frozen=True)
class Request:
    path: str
    raw_query: str

    @property
    def params(self) -> dict[str, str]:
        """Query parameters decoded as UTF-8 (fine for everything but UCS-2 text)."""
        return dict(urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True))

    def raw_param(self, name: str) -> bytes:
        """One parameter's bytes, undecoded: Kannel sends UCS-2 text as %-escaped UTF-16BE."""
        for pair in self.raw_query.split("&"):
            key, _, value = pair.partition("=")
            if key == name:
                return urllib.parse.unquote_to_bytes(value.replace("+", " "))
        raise KeyError(name)


class RecordingServer:
    """A tiny HTTP/1.1 server on loopback that answers 200 to everything and records requests."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.url = ""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("ascii")
            path, _, query = target.partition("?")
            self.requests.append(Request(path, query))
            # Connection: close, so Kannel's keep-alive client never leaves a handler waiting.
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._handlers.discard(task)

    async def wait_for(
        self, what: str, match: Callable[[Request], bool], count: int = 1, within: float = 15.0
    ) -> list[Request]:
        deadline = time.monotonic() + within
        while True:
            found = [r for r in self.requests if match(r)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} {what} request(s) within {within}s, got {len(found)}; "
                    f"all requests: {self.requests!r}"
                )
            await asyncio.sleep(0.05)


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = RecordingServer()
    await srv.start()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture
async def kannel(tmp_path: Path, server: RecordingServer) -> AsyncIterator[KannelHarness]:
    harness = KannelHarness(
        tmp_path, mo_url=f"{server.url}/mo?secret={SECRET}", dlr_base=f"{server.url}/dlr"
    )
    async with harness:
        yield harness


async def sendsms(kannel: KannelHarness, **params: str) -> httpx.Response:
    query = {"username": kannel.username, "password": kannel.password, "from": SHORTCODE}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(kannel.sendsms_url, params={**query, **params})


def dlrs_for(delivery: int) -> Callable[[Request], bool]:
    return lambda r: r.path == "/dlr" and r.params.get("delivery") == str(delivery)


@pytest.mark.kannel
def test_kannel_is_installed() -> None:
    # CI installs Kannel; there, without it, this and the integration tests fail, never skip.
    for binary in (BEARERBOX, SMSBOX):
        assert binary.is_file(), f"{binary} missing: apt-get install kannel kannel-extras"


def test_parse_mt_lines_as_kannel_writes_them() -> None:
    ucs2 = parse_mt_line(b"1234 959250000001 ucs-2 %10%1E%10%1B%10%00%10%3A")
    assert (ucs2.kind, ucs2.coding, ucs2.text, ucs2.concat) == ("ucs-2", 2, "သရက်", None)
    part = parse_mt_line(b"1234 959250000001 udh %05%00%03%2A%04%02 data %10%1E%00+")
    assert part.concat == (42, 4, 2)
    assert (part.coding, part.coding_guessed, part.text) == (2, True, "သ ")
    text = parse_mt_line(b"1234 959250000001 udh %05%00%03%03%02%01 data Long+ascii")
    assert (text.coding, text.text) == (0, "Long ascii")
    with pytest.raises(ValueError, match="unknown MT type"):
        parse_mt_line(b"1234 959250000001 utf8 x")


async def test_mo_reaches_get_url_as_gsm_text_and_ucs2(
    kannel: KannelHarness, server: RecordingServer
) -> None:
    ascii_line = await kannel.send_mo("959250000001", SHORTCODE, "PRICE MANGO MUSE")
    burmese_line = await kannel.send_mo("959250000002", SHORTCODE, BURMESE)
    utf8_line = await kannel.send_mo("959250000003", SHORTCODE, BURMESE, kind="text")
    assert utf8_line == f"959250000003 {SHORTCODE} text {BURMESE}"
    assert ascii_line == f"959250000001 {SHORTCODE} text PRICE MANGO MUSE"
    assert burmese_line.startswith(f"959250000002 {SHORTCODE} ucs2 %10%1E%10%1B")

    mos = await server.wait_for("MO", lambda r: r.path == "/mo", count=3)
    by_sender = {r.params["from"]: r for r in mos}
    assert sorted(by_sender) == ["959250000001", "959250000002", "959250000003"]
    for request in mos:
        assert request.params["secret"] == SECRET
        assert request.params["to"] == SHORTCODE
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", request.params["ts"])

    plain = by_sender["959250000001"].params
    assert (plain["text"], plain["coding"], plain["charset"]) == ("PRICE MANGO MUSE", "0", "UTF-8")

    ucs2 = by_sender["959250000002"]
    assert (ucs2.params["coding"], ucs2.params["charset"]) == ("2", "UTF-16BE")
    assert ucs2.raw_param("text").decode("utf-16-be") == BURMESE

    # Burmese typed as 7-bit text (as in the captured traffic): UTF-8, coding 0.
    utf8 = by_sender["959250000003"]
    assert (utf8.params["coding"], utf8.params["charset"]) == ("0", "UTF-8")
    assert utf8.params["text"] == BURMESE


async def test_long_burmese_mt_is_split_into_ucs2_parts_with_one_dlr(
    kannel: KannelHarness, server: RecordingServer
) -> None:
    text = " ".join([BURMESE] * 9)  # 161 UTF-16 code units
    expected_parts = math.ceil(len(text.encode("utf-16-be")) / 134)  # 67 chars per UCS-2 part
    assert expected_parts == 3

    response = await sendsms(
        kannel,
        to="959250000001",
        text=text,
        charset="UTF-8",
        coding="2",
        **{"dlr-mask": "3", "dlr-url": kannel.dlr_url(7)},
    )
    assert response.status_code == 202, response.text
    assert response.text.startswith("0: Accepted"), response.text

    parts = await kannel.fake_smsc.next_mts(expected_parts, timeout=15)
    assert {(p.sender, p.receiver, p.kind, p.coding) for p in parts} == {
        (SHORTCODE, "959250000001", "udh", 2)
    }
    concat = [p.concat for p in parts if p.concat is not None]
    assert len(concat) == expected_parts, kannel.mt_lines  # every part carries a concat UDH
    assert [c.seq for c in concat] == list(range(1, expected_parts + 1))
    assert {(c.ref, c.total) for c in concat} == {(concat[0].ref, expected_parts)}
    assert "".join(p.text for p in parts) == text

    # The sendsms-user allows 10 parts: the longest broadcast the app may send (670 code units).
    longest = (BURMESE * 40)[:670]
    response = await sendsms(kannel, to="959250000002", text=longest, charset="UTF-8", coding="2")
    assert response.status_code == 202, response.text
    ten = await kannel.fake_smsc.next_mts(10, timeout=15)
    assert [p.concat.seq if p.concat else None for p in ten] == list(range(1, 11))
    assert "".join(p.text for p in ten) == longest

    # The next line is the next message, so there were no stray extra parts.
    response = await sendsms(
        kannel,
        to="959250000004",
        text="Tea Thai Nguyen price",
        **{"dlr-mask": "3", "dlr-url": kannel.dlr_url(8)},
    )
    assert response.status_code == 202, response.text
    single = await kannel.next_mt(timeout=15)
    assert (single.kind, single.receiver, single.text) == (
        "text",
        "959250000004",
        "Tea Thai Nguyen price",
    )

    await server.wait_for("DLR for delivery 8", dlrs_for(8))
    dlrs = await server.wait_for("DLR for delivery 7", dlrs_for(7))
    # dlr-mask 3 asks for delivered (1) or failed (2) only; one DLR for the whole 3-part message.
    assert [r.params["status"] for r in dlrs] == ["1"], dlrs


async def test_mt_after_bearerbox_restart_still_arrives(
    kannel: KannelHarness, server: RecordingServer
) -> None:
    before = await sendsms(kannel, to="959250000001", text="before restart")
    assert before.status_code == 202, before.text
    assert (await kannel.next_mt(timeout=15)).text == "before restart"

    old_pids = (kannel.bearerbox_pid, kannel.smsbox_pid)
    await kannel.stop_bearerbox()
    # What the app sees while Kannel is down: smsbox went with bearerbox, nothing listens.
    assert kannel.smsbox_exited_with_bearerbox is True
    assert "Bearerbox told us to die" in kannel.smsbox_log.read_text(errors="replace")
    with pytest.raises(httpx.ConnectError):
        await sendsms(kannel, to="959250000001", text="while down")

    await kannel.start_bearerbox()
    new_pids = (kannel.bearerbox_pid, kannel.smsbox_pid)
    assert None not in new_pids
    assert set(new_pids).isdisjoint(old_pids)

    after = await sendsms(
        kannel,
        to="959250000001",
        text=BURMESE,
        charset="UTF-8",
        coding="2",
        **{"dlr-mask": "3", "dlr-url": kannel.dlr_url(9)},
    )
    assert after.status_code == 202, after.text
    mt = await kannel.next_mt(timeout=15)
    assert (mt.kind, mt.coding, mt.text) == ("ucs-2", 2, BURMESE)
    dlrs = await server.wait_for("DLR after restart", dlrs_for(9))
    assert dlrs[0].params["status"] == "1"

    # The fake SMSC reconnected too: MO still flows to the get-url.
    await kannel.send_mo("959250000005", SHORTCODE, "PRICE TEA")
    mo = await server.wait_for("MO after restart", lambda r: r.params.get("from") == "959250000005")
    assert mo[0].params["text"] == "PRICE TEA"

    # And restart_bearerbox() does the same in one call.
    await kannel.restart_bearerbox()
    again = await sendsms(kannel, to="959250000006", text="after second restart")
    assert again.status_code == 202, again.text
    assert (await kannel.next_mt(timeout=15)).text == "after second restart"
    assert kannel.mt_lines == [
        f"{SHORTCODE} 959250000001 text before restart",
        mt.line,
        f"{SHORTCODE} 959250000006 text after second restart",
    ]
