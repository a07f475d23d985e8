"""A real Kannel 1.4.5 (bearerbox + smsbox) on loopback, and a stand-in for its `fakesmsc` tool.

Integration tests use it like this::

    async with KannelHarness(tmp_path, mo_url=f"{base}/mo?secret=s", dlr_base=f"{base}/dlr") as k:
        await k.fake_smsc.send_mo("959250000001", "1234", "PRICE MANGO MUSE")  # -> GET mo_url&...
        await client.get(k.sendsms_url, params={"username": k.username, ...})  # -> MT below
        mt = await k.fake_smsc.next_mt(timeout=10)

The fake SMSC protocol (gw/smsc/smsc_fake.c in Kannel 1.4.5, checked against the Debian binaries):

* bearerbox LISTENS on the smsc group's `port`; the operator side (`fakesmsc`, here `FakeSmsc`)
  connects to it. One line per message, in both directions, terminated by "\\n".
* MO (us -> bearerbox): ``sender receiver TYPE [extra] msgdata`` where TYPE is
  ``text`` (raw bytes to end of line, coding 0), ``data`` (URL-encoded, coding 1), ``ucs2``
  (URL-encoded UTF-16BE, coding 2), ``udh``/``udh-data`` (URL-encoded udh, then URL-encoded data),
  ``udh-text``, ``route BOXID text`` or ``dlr-mask N text``. Anything else is dropped with a
  warning in the bearerbox log. (1.4.5 has no ``utf8`` type.)
* MT (bearerbox -> us): ``sender receiver text RAW`` (7-bit; RAW is UTF-8 and NOT escaped, so a
  newline in the text breaks the line framing), ``... data URLENC`` (8-bit), ``... ucs-2 URLENC``
  (UCS-2: note the hyphen, unlike the MO type ``ucs2``), and for every part of a concatenated
  message ``... udh URLENC_UDH data URLENC_DATA`` -- which does NOT say the coding; `MtMessage`
  infers it. URL encoding is Kannel's: space is "+", bytes other than letters, digits and a
  few marks (such as ".") are %XX.
* There are no DLR lines on this connection: bearerbox invents them itself as soon as it has
  written the MT line -- status 8 ("smsc accepted") if dlr-mask has 8, then status 1
  ("delivered") if it has 1; it never reports a failure. smsbox calls the dlr-url for each, and
  the two HTTP calls may arrive in either order. A concatenated message gets one DLR in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, NamedTuple, Self

import httpx

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
LOOPBACK = "127.0.0.1"
SMSC_ID = "FAKE"

# GSM 03.38 default alphabet and its extension table (minus the escape character itself). A phone
# sends a message in GSM 7-bit when every character is in here, otherwise in UCS-2.
GSM7_CHARS = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "\f^{}\\[~]|€"
)

MoKind = Literal["auto", "text", "ucs2"]


class KannelError(RuntimeError):
    """Kannel did not start, stop or answer as expected; the message carries the log tails."""


class KannelNotInstalled(KannelError):
    """The Kannel binaries are missing. Raised, never skipped: CI installs Kannel on purpose."""


def kannel_url_decode(value: bytes | str) -> bytes:
    """Undo Kannel's octstr_url_encode: '+' is a space, %XX a byte (a literal '+' is %2B)."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    return urllib.parse.unquote_to_bytes(value.replace("+", " "))


def kannel_url_encode(data: bytes) -> str:
    # %20 rather than '+' for a space: Kannel's decoder takes both, and %20 is never ambiguous.
    return urllib.parse.quote_from_bytes(data, safe="")


class ConcatInfo(NamedTuple):
    """Concatenation information element of a UDH (IEI 0x00, 8-bit ref, or 0x08, 16-bit ref)."""

    ref: int
    total: int
    seq: int


def parse_concat_udh(udh: bytes) -> ConcatInfo | None:
    if not udh:
        return None
    end = 1 + udh[0]  # first octet is the UDH length (UDHL), excluding itself
    pos = 1
    while pos + 2 <= end and pos + 2 <= len(udh):
        iei, length = udh[pos], udh[pos + 1]
        body = udh[pos + 2 : pos + 2 + length]
        if iei == 0x00 and length == 3:
            return ConcatInfo(body[0], body[1], body[2])
        if iei == 0x08 and length == 4:
            return ConcatInfo((body[0] << 8) | body[1], body[2], body[3])
        pos += 2 + length
    return None


def _guess_coding(data: bytes) -> tuple[int, str]:
    """Coding of a `udh ... data ...` part, which the fake SMSC line does not state.

    7-bit text arrives as UTF-8 made of printable characters; UCS-2 of the scripts this project
    cares about (Latin, Burmese, Khmer, Lao, Thai, Vietnamese) always contains bytes < 0x20 (the
    high byte of each code unit), so it never passes as printable UTF-8. Anything else is 8-bit.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if all(ch.isprintable() or ch in "\n\r" for ch in text):
            return 0, text
    if len(data) % 2 == 0:
        with contextlib.suppress(UnicodeDecodeError):
            return 2, data.decode("utf-16-be")
    return 1, data.decode("latin-1")


MtKind = Literal["text", "data", "ucs-2", "udh"]
MT_KINDS: dict[bytes, MtKind] = {b"text": "text", b"data": "data", b"ucs-2": "ucs-2", b"udh": "udh"}


@dataclass(frozen=True)
class MtMessage:
    """One line bearerbox wrote to the fake SMSC: one SMS (one part of a concatenated message)."""

    sender: str
    receiver: str
    line: str  # the raw line, without "\n" (for logging)
    kind: MtKind
    coding: int  # as Kannel's %c: 0 = GSM 7-bit, 1 = 8-bit, 2 = UCS-2
    coding_guessed: bool  # True for "udh" lines, whose coding is inferred (see _guess_coding)
    data: bytes  # message payload as Kannel holds it (UTF-8 for 7-bit, UTF-16BE for UCS-2)
    udh: bytes
    text: str

    @property
    def concat(self) -> ConcatInfo | None:
        return parse_concat_udh(self.udh)


def parse_mt_line(raw: bytes) -> MtMessage:
    line = raw.decode("utf-8", errors="replace")
    fields = raw.split(b" ", 3)
    if len(fields) != 4:
        raise ValueError(f"fake SMSC: malformed MT line {line!r}")
    sender, receiver = fields[0].decode("utf-8"), fields[1].decode("utf-8")
    kind, rest = MT_KINDS.get(fields[2]), fields[3]
    udh = b""
    guessed = False
    if kind == "text":
        data, coding, text = rest, 0, rest.decode("utf-8", errors="replace")
    elif kind == "data":
        data = kannel_url_decode(rest)
        coding, text = 1, data.decode("latin-1")
    elif kind == "ucs-2":
        data = kannel_url_decode(rest)
        coding, text = 2, data.decode("utf-16-be")
    elif kind == "udh":
        udh_field, marker, payload = ([*rest.split(b" ", 2), b"", b""])[:3]
        if marker != b"data":
            raise ValueError(f"fake SMSC: malformed udh MT line {line!r}")
        udh, data = kannel_url_decode(udh_field), kannel_url_decode(payload)
        coding, text = _guess_coding(data)
        guessed = True
    else:
        raise ValueError(f"fake SMSC: unknown MT type {fields[2]!r} in line {line!r}")
    return MtMessage(
        sender=sender,
        receiver=receiver,
        line=line,
        kind=kind,
        coding=coding,
        coding_guessed=guessed,
        data=data,
        udh=udh,
        text=text,
    )


def mo_line(sender: str, receiver: str, text: str, kind: MoKind = "auto") -> bytes:
    """The line `fakesmsc` would send for an MO. "auto" picks what a handset would: GSM 7-bit
    when every character is in the GSM alphabet (sent as raw `text`), otherwise UCS-2."""
    for number in (sender, receiver):
        if not number or any(ch.isspace() for ch in number):
            raise ValueError(f"fake SMSC: phone number {number!r} must be non-empty, no spaces")
    if kind == "auto":
        # "text" cannot carry a line break (it is the line terminator), so those go as UCS-2.
        gsm = all(ch in GSM7_CHARS for ch in text) and not ("\n" in text or "\r" in text)
        kind = "text" if gsm else "ucs2"
    if kind == "text":
        if "\n" in text or "\r" in text:
            raise ValueError("fake SMSC: a 'text' MO cannot contain a line break")
        return f"{sender} {receiver} text {text}\n".encode()
    return f"{sender} {receiver} ucs2 {kannel_url_encode(text.encode('utf-16-be'))}\n".encode()


class FakeSmsc:
    """The operator's side of `smsc = fake`: a TCP client of bearerbox's fake SMSC port."""

    def __init__(self, port: int, host: str = LOOPBACK) -> None:
        self.host = host
        self.port = port
        self.mt_lines: list[str] = []  # every line bearerbox sent, across reconnects
        self.mo_lines: list[str] = []  # every line we sent
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._reader_task is not None and not self._reader_task.done()

    async def connect(self, within: float = 10.0) -> None:
        """Connect, retrying until bearerbox's listener is up (it may still be starting)."""
        await self.close()
        deadline = time.monotonic() + within
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
                break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise KannelError(
                        f"fake SMSC: cannot connect to bearerbox on {self.host}:{self.port}: {exc}"
                    ) from exc
                await asyncio.sleep(0.05)
        self._reader, self._writer = reader, writer
        self._reader_task = asyncio.create_task(self._read_lines(reader), name="fake-smsc-reader")

    async def _read_lines(self, reader: asyncio.StreamReader) -> None:
        # Ends quietly on EOF or reset: that is what bearerbox going away looks like.
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while line := await reader.readline():
                line = line.removesuffix(b"\n")
                self.mt_lines.append(line.decode("utf-8", errors="replace"))
                self._queue.put_nowait(line)

    async def close(self) -> None:
        task, writer = self._reader_task, self._writer
        self._reader_task = self._reader = self._writer = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def send_mo(self, sender: str, receiver: str, text: str, kind: MoKind = "auto") -> str:
        """Send an MO and return the line written. See `mo_line` for how the type is chosen."""
        if self._writer is None or not self.connected:
            raise KannelError("fake SMSC: not connected to bearerbox")
        line = mo_line(sender, receiver, text, kind)
        self._writer.write(line)
        await self._writer.drain()
        self.mo_lines.append(line.decode().removesuffix("\n"))
        return self.mo_lines[-1]

    # `timeout` (not asyncio.timeout at the call site) so the error can list what did arrive.
    async def next_mt(self, timeout: float) -> MtMessage:  # noqa: ASYNC109
        try:
            raw = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"fake SMSC: no MT line within {timeout}s (connected={self.connected}); "
                f"lines so far: {self.mt_lines!r}"
            ) from None
        return parse_mt_line(raw)

    async def next_mts(self, count: int, timeout: float) -> list[MtMessage]:  # noqa: ASYNC109
        """`count` MT lines, all within `timeout` seconds in total."""
        deadline = time.monotonic() + timeout
        return [await self.next_mt(max(0.0, deadline - time.monotonic())) for _ in range(count)]


def _free_loopback_ports(count: int) -> list[int]:
    # Hold all sockets open together so the ports are distinct; the kernel will not hand them out
    # again soon after, which is as good as it gets without Kannel accepting port 0.
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _cfg_value(value: str) -> str:
    if '"' in value or "\n" in value or "\r" in value:
        raise ValueError(f"kannel.conf: value {value!r} cannot be quoted safely")
    return f'"{value}"'


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, lines: int) -> str:
    try:
        content = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return "(no file)"
    return "\n".join(content[-lines:]) or "(empty)"


class KannelHarness:
    """bearerbox + smsbox from the Kannel package, on free loopback ports, configured in `workdir`.

    Use as `async with KannelHarness(...) as kannel:` (or `await start()` / `await stop()`).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        mo_url: str,
        dlr_base: str | None = None,
        username: str = "mic",
        password: str | None = None,
        bearerbox: Path = BEARERBOX,
        smsbox: Path = SMSBOX,
        startup_timeout: float = 20.0,
        stop_timeout: float = 15.0,
    ) -> None:
        self.workdir = workdir
        self.mo_url = mo_url
        self.dlr_base = dlr_base
        self.username = username
        # Random unless given: nothing should depend on a password it was not handed.
        self.password = password or secrets.token_urlsafe(12)
        self.admin_password = secrets.token_urlsafe(12)
        self.bearerbox_binary = bearerbox
        self.smsbox_binary = smsbox
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.admin_port, self.smsbox_port, self.sendsms_port, self.smsc_port = _free_loopback_ports(
            4
        )
        self.sendsms_url = f"http://{LOOPBACK}:{self.sendsms_port}/cgi-bin/sendsms"
        self.admin_url = f"http://{LOOPBACK}:{self.admin_port}"
        self.config_path = workdir / "kannel.conf"
        self.bearerbox_log = workdir / "kannel-bearerbox.log"
        self.smsbox_log = workdir / "kannel-smsbox.log"
        self.bearerbox_access_log = workdir / "kannel-bearerbox-access.log"
        self.smsbox_access_log = workdir / "kannel-smsbox-access.log"
        # stdout/stderr of each box: config errors and panics land here before log-file is open.
        self.bearerbox_console = workdir / "kannel-bearerbox.console"
        self.smsbox_console = workdir / "kannel-smsbox.console"
        self.fake_smsc = FakeSmsc(self.smsc_port)
        # Whether smsbox went away by itself the last time bearerbox was stopped (1.4.5: yes).
        self.smsbox_exited_with_bearerbox: bool | None = None
        self._bearerbox: subprocess.Popen[bytes] | None = None
        self._smsbox: subprocess.Popen[bytes] | None = None
        self._http: httpx.AsyncClient | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        for binary in (self.bearerbox_binary, self.smsbox_binary):
            if not os.access(binary, os.X_OK):
                raise KannelNotInstalled(
                    f"Kannel is not installed: {binary} is missing or not executable. "
                    "Install the Debian packages `kannel` and `kannel-extras` (CI does)."
                )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text(), encoding="utf-8")
        self._http = httpx.AsyncClient(timeout=2.0)
        try:
            await self.start_bearerbox()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """smsbox first (so it does not see bearerbox vanish and try to restart), then bearerbox."""
        # Every step runs even if an earlier one failed, so no box outlives the test.
        steps: list[Callable[[], Awaitable[None]]] = [
            lambda: self._terminate("smsbox"),
            self.fake_smsc.close,
            lambda: self._terminate("bearerbox"),
        ]
        if self._http is not None:
            steps.append(self._http.aclose)
        self._http = None
        errors: list[Exception] = []
        for step in steps:
            try:
                await step()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    async def start_bearerbox(self) -> None:
        """Start bearerbox, connect the fake SMSC, start smsbox, and wait until all is linked up."""
        self._bearerbox = self._spawn(self.bearerbox_binary, self.bearerbox_console)
        await self._wait_for(
            f"bearerbox to accept box connections on port {self.smsbox_port}",
            lambda: self._tcp_accepts(self.smsbox_port),
        )
        await self.fake_smsc.connect(within=self.startup_timeout)
        await self._terminate("smsbox")  # a no-op unless a previous smsbox is somehow still here
        self._smsbox = self._spawn(self.smsbox_binary, self.smsbox_console)
        await self._wait_for(
            f"smsbox to answer HTTP on sendsms port {self.sendsms_port}", self._sendsms_answers
        )
        await self._wait_for(
            "bearerbox status to show smsbox on-line and the FAKE smsc online", self._linked_up
        )

    async def stop_bearerbox(self) -> None:
        """Orderly bearerbox shutdown (SIGTERM), as `/etc/init.d/kannel stop` would do.

        Kannel 1.4.5's bearerbox then tells smsbox to die ("Bearerbox told us to die") and smsbox
        exits, so the sendsms port refuses connections until `start_bearerbox()`. (If bearerbox is
        killed instead, smsbox logs "Bearerbox is gone, restarting", sleeps 10 s and starts again
        as a NEW process with another pid -- hence process groups below.) If smsbox is still
        running after the deadline we stop it, so that `start_bearerbox()` always starts afresh.
        """
        await self._terminate("bearerbox")
        smsbox = self._smsbox
        exited = await self._poll_until(
            lambda: smsbox is None or smsbox.poll() is not None, self.stop_timeout
        )
        self.smsbox_exited_with_bearerbox = exited
        await self._terminate("smsbox")
        await self.fake_smsc.close()

    async def restart_bearerbox(self) -> None:
        await self.stop_bearerbox()
        await self.start_bearerbox()

    # -- convenience -------------------------------------------------------------------------

    @property
    def bearerbox_pid(self) -> int | None:
        return self._bearerbox.pid if self._bearerbox is not None else None

    @property
    def smsbox_pid(self) -> int | None:
        return self._smsbox.pid if self._smsbox is not None else None

    @property
    def mt_lines(self) -> list[str]:
        return self.fake_smsc.mt_lines

    async def send_mo(self, sender: str, receiver: str, text: str, kind: MoKind = "auto") -> str:
        return await self.fake_smsc.send_mo(sender, receiver, text, kind)

    async def next_mt(self, timeout: float) -> MtMessage:  # noqa: ASYNC109
        return await self.fake_smsc.next_mt(timeout)

    def dlr_url(self, delivery: int | str) -> str:
        """A dlr-url for sendsms: dlr_base plus `delivery=...&status=%d` (Kannel fills in %d)."""
        if self.dlr_base is None:
            raise ValueError("KannelHarness was created without dlr_base")
        separator = "&" if "?" in self.dlr_base else "?"
        return f"{self.dlr_base}{separator}delivery={delivery}&status=%d"

    async def status(self) -> str:
        """bearerbox's admin status.txt."""
        response = await self._client.get(
            f"{self.admin_url}/status.txt", params={"password": self.admin_password}
        )
        return response.text

    def log_tails(self, lines: int = 40) -> str:
        paths = (
            self.bearerbox_console,
            self.bearerbox_log,
            self.smsbox_console,
            self.smsbox_log,
        )
        return "\n".join(
            f"--- {path.name} (last {lines} lines)\n{_tail(path, lines)}" for path in paths
        )

    def config_text(self) -> str:
        get_url = f"{self.mo_url}&from=%p&to=%P&text=%a&coding=%c&charset=%C&ts=%t"
        # Groups are separated by blank lines and must not contain any (Kannel's cfg syntax).
        groups = [
            [
                "group = core",
                f"admin-port = {self.admin_port}",
                f"admin-interface = {LOOPBACK}",
                f"admin-password = {_cfg_value(self.admin_password)}",
                'admin-deny-ip = "*.*.*.*"',
                f'admin-allow-ip = "{LOOPBACK}"',
                f"smsbox-port = {self.smsbox_port}",
                f"smsbox-interface = {LOOPBACK}",
                'box-deny-ip = "*.*.*.*"',
                f'box-allow-ip = "{LOOPBACK}"',
                f"log-file = {_cfg_value(str(self.bearerbox_log))}",
                "log-level = 0",  # debug: the logs are the only way to see why a test failed
                f"access-log = {_cfg_value(str(self.bearerbox_access_log))}",
                "dlr-storage = internal",
                # Messages accepted but not yet sent survive a bearerbox restart, as in production.
                "store-type = file",
                f"store-location = {_cfg_value(str(self.workdir / 'kannel.store'))}",
            ],
            [
                "group = smsc",
                "smsc = fake",
                f"smsc-id = {SMSC_ID}",
                f"port = {self.smsc_port}",
                f"our-host = {LOOPBACK}",
                f"connect-allow-ip = {LOOPBACK}",
            ],
            [
                "group = smsbox",
                f"bearerbox-host = {LOOPBACK}",
                f"bearerbox-port = {self.smsbox_port}",
                f"sendsms-port = {self.sendsms_port}",
                f"sendsms-interface = {LOOPBACK}",
                f"log-file = {_cfg_value(str(self.smsbox_log))}",
                "log-level = 0",
                f"access-log = {_cfg_value(str(self.smsbox_access_log))}",
                # As the README configures it: an MO whose get-url failed is sent again.
                "http-request-retry = 3",
                "http-queue-delay = 1",
            ],
            [
                "group = sendsms-user",
                f"username = {_cfg_value(self.username)}",
                f"password = {_cfg_value(self.password)}",
                "concatenation = true",
                "max-messages = 10",  # long Burmese broadcasts: up to 10 UCS-2 parts of 67 chars
            ],
            [
                "group = sms-service",
                "keyword = default",
                "catch-all = yes",
                f"accepted-smsc = {SMSC_ID}",
                "max-messages = 0",  # the app replies through sendsms; Kannel must stay silent
                f"get-url = {_cfg_value(get_url)}",
            ],
        ]
        return "\n\n".join("\n".join(group) for group in groups) + "\n"

    # -- internals ---------------------------------------------------------------------------

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise KannelError("KannelHarness is not started")
        return self._http

    def _spawn(self, binary: Path, console: Path) -> subprocess.Popen[bytes]:
        # A new session per box: smsbox may re-exec itself under a new pid (see stop_bearerbox),
        # but it stays in the process group we created, so stopping the group stops it too.
        with console.open("ab") as out:
            return subprocess.Popen(
                [str(binary), "-v", "1", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
            )

    async def _terminate(self, box: Literal["bearerbox", "smsbox"]) -> None:
        proc = self._bearerbox if box == "bearerbox" else self._smsbox
        if proc is None:
            return
        pgid = proc.pid
        if proc.poll() is None or _group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)

        def gone() -> bool:
            return proc.poll() is not None and not _group_alive(pgid)

        if not await self._poll_until(gone, self.stop_timeout):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            if not await self._poll_until(gone, self.stop_timeout):
                raise KannelError(f"{box} (process group {pgid}) survived SIGKILL")
        proc.wait()  # already exited: reaps it and keeps Popen from warning
        if box == "bearerbox":
            self._bearerbox = None
        else:
            self._smsbox = None

    @staticmethod
    async def _poll_until(condition: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def _wait_for(self, what: str, condition: Callable[[], Awaitable[bool]]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            for name, proc in (("bearerbox", self._bearerbox), ("smsbox", self._smsbox)):
                if proc is not None and proc.poll() is not None:
                    raise KannelError(
                        f"{name} exited with status {proc.returncode} while waiting for {what}\n"
                        f"{self.log_tails()}"
                    )
            if await condition():
                return
            if time.monotonic() >= deadline:
                raise KannelError(
                    f"timed out after {self.startup_timeout}s waiting for {what}\n"
                    f"{self.log_tails()}"
                )
            await asyncio.sleep(0.05)

    @staticmethod
    async def _tcp_accepts(port: int) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port), 1.0)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        return True

    async def _sendsms_answers(self) -> bool:
        try:
            await self._client.get(self.sendsms_url)  # any status will do (it is a 4xx)
        except httpx.TransportError:
            return False
        return True

    async def _linked_up(self) -> bool:
        try:
            status = await self.status()
        except httpx.TransportError:
            return False
        smsbox_online = re.search(r"^\s*smsbox:.*\(on-line", status, re.MULTILINE) is not None
        smsc_online = re.search(rf"^\s*{SMSC_ID}\[{SMSC_ID}\].*\(online", status, re.MULTILINE)
        return smsbox_online and smsc_online is not None
