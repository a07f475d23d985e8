"""A fake upstream web server (a data portal, a central bank's rate page) over real HTTP on
loopback, for collector tests.

It runs as an asyncio server in the test's own event loop, so it needs no thread and is torn
down with the test. Tests use it through the `upstream` fixture (tests/jobs/conftest.py)::

    async def test_prices(upstream: FakeUpstream) -> None:
        upstream.route("/prices.csv", "market,price\\nYangon,1200\\n", etag='"v1"')
        upstream.fail("/prices.csv", [503])  # the first request gets a 503
        ...fetch f"{upstream.url}/prices.csv"...
        assert upstream.hits("/prices.csv") == 2

What it serves, per path:

* `route`: a fixed answer. When the route has an ETag or Last-Modified and the request's
  If-None-Match (or, without one, If-Modified-Since) matches, it answers 304 with no body.
* `fail`: the next requests get the given statuses, then the route's own answer again.
* `hang`: it reads the request and never answers, until the server stops.
* `huge`: `size` bytes sent in chunks as the client reads them (nothing buffered), with a
  Content-Length or chunked; `bytes_sent(path)` says how much actually left (final once
  `await wait_answered(path)` returns: the client gives up before the server notices).

It fails loudly: a request for a path with nothing set up is answered 599 AND recorded in
`unexpected`; `check()` (called by the fixture's teardown) then fails the test. So does a request
it cannot parse (answered 400, recorded in `malformed`). Only GET-style requests are understood:
a request body is read and discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import urllib.parse
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"
UNEXPECTED_STATUS = 599
CHUNK_SIZE = 64 * 1024
# The filler for `huge`: CSV-looking rows, so a parser that gets that far sees data, not noise.
_FILLER = (b"Yangon,Rice,kg,MMK,1200\n" * (CHUNK_SIZE // 24 + 1))[:CHUNK_SIZE]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # percent-decoded, without the query
    query: dict[str, str]  # the last value wins when a name repeats
    headers: dict[str, str]  # names in lower case


@dataclass
class _Route:
    kind: str  # "body", "hang" or "huge"
    status: int = 200
    body: bytes = b""
    content_type: str = "text/csv"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    size: int = 0
    send_length: bool = True


@dataclass(frozen=True)
class _Failure:
    status: int
    body: bytes
    headers: dict[str, str]


class _BadRequest(Exception):
    pass


class FakeUpstream:
    """The server and what it has seen; see the module docstring."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.unexpected: list[RecordedRequest] = []
        self.malformed: list[str] = []  # requests that could not even be parsed
        self._routes: dict[str, _Route] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._sent: Counter[str] = Counter()
        self._answered: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve_connection, LOOPBACK, 0)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Hanging answers wait for this; closing each transport ends idle keep-alive readers.
        # Their tasks are awaited rather than cancelled: asyncio would log the cancellation, and
        # a task still pending when the test's loop closes is reported as destroyed.
        self._stopping.set()
        # A connection accepted just before close() may not have started its task yet.
        await asyncio.sleep(0)
        while self._connections:
            for writer in self._connections.values():
                writer.close()
            await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    @property
    def url(self) -> str:
        if self._port is None or self._server is None:
            raise RuntimeError("FakeUpstream is not running; use `async with FakeUpstream()`")
        return f"http://{LOOPBACK}:{self._port}"

    def check(self) -> None:
        """Fail unless every request was for something the test set up."""
        if self.unexpected or self.malformed:
            listing = "\n".join(
                f"  {m}" for m in [*map(_describe, self.unexpected), *self.malformed]
            )
            raise AssertionError(f"the fake upstream got unexpected requests:\n{listing}")

    # ----------------------------------------------------------------- set-up

    def route(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/csv",
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._routes[_check_path(path)] = _Route(
            kind="body",
            status=status,
            body=body.encode() if isinstance(body, str) else body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            headers=dict(headers or {}),
        )

    def fail(
        self,
        path: str,
        statuses: list[int],
        *,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next len(statuses) requests for `path` get these statuses (with `headers`, such as
        Retry-After, and `body`), then the route's normal answer."""
        raw = body.encode() if isinstance(body, str) else body
        queue = self._failures.setdefault(_check_path(path), deque())
        for status in statuses:
            queue.append(_Failure(status, raw or f"injected HTTP {status}".encode(), headers or {}))

    def hang(self, path: str) -> None:
        self._routes[_check_path(path)] = _Route(kind="hang")

    def huge(
        self, path: str, size: int, *, content_type: str = "text/csv", send_length: bool = True
    ) -> None:
        self._routes[_check_path(path)] = _Route(
            kind="huge", content_type=content_type, size=size, send_length=send_length
        )

    # ----------------------------------------------------------------- inspection

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def bytes_sent(self, path: str) -> int:
        """Body bytes of `huge` answers for `path` that the client's socket accepted so far."""
        return self._sent[path]

    async def wait_answered(self, path: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until `count` answers for `path` are over (sent in full, or cut off because the
        client hung up): a client gives up before the server notices, so counts read right
        after a failed fetch may still grow."""
        await self._wait(lambda: self._answered[path] >= count, timeout, f"{count} on {path}")

    async def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout} s waiting for answers: {what};"
                f" answered so far: {dict(self._answered)}"
            ) from None

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- HTTP

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            keep_open = True
            while keep_open and not self._stopping.is_set():
                try:
                    request = await _read_request(reader)
                except _BadRequest as exc:
                    self.malformed.append(f"malformed request: {exc}")
                    await _write_head(writer, 400, {"Content-Length": "0", "Connection": "close"})
                    return
                if request is None:  # the client closed an idle keep-alive connection
                    return
                self.requests.append(request)
                try:
                    keep_open = await self._answer(request, writer)
                finally:
                    self._answered[request.path] += 1
                    self._notify()
        except ConnectionError:
            pass  # the client hung up mid-answer, as a client refusing a huge body does
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            # Only now, so that __aexit__ waits for this task to end.
            self._connections.pop(task, None)

    async def _answer(self, request: RecordedRequest, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must close afterwards."""
        failures = self._failures.get(request.path)
        if failures:
            failure = failures.popleft()
            await _write_whole(writer, failure.status, failure.body, "text/plain", failure.headers)
            return True
        route = self._routes.get(request.path)
        if route is None:
            self.unexpected.append(request)
            body = f"no route for {request.method} {request.path} in the fake upstream".encode()
            await _write_whole(writer, UNEXPECTED_STATUS, body, "text/plain", {})
            return True
        if route.kind == "hang":
            await self._stopping.wait()
            return False
        if route.kind == "huge":
            await self._send_huge(request.path, route, writer)
            return True
        validators = {
            name: value
            for name, value in (("ETag", route.etag), ("Last-Modified", route.last_modified))
            if value is not None
        }
        if route.status == 200 and _not_modified(request, route):
            await _write_head(writer, 304, validators)
            return True
        await _write_whole(
            writer, route.status, route.body, route.content_type, validators | route.headers
        )
        return True

    async def _send_huge(self, path: str, route: _Route, writer: asyncio.StreamWriter) -> None:
        headers = {"Content-Type": route.content_type}
        if route.send_length:
            headers["Content-Length"] = str(route.size)
        else:
            headers["Transfer-Encoding"] = "chunked"
        await _write_head(writer, 200, headers)
        left = route.size
        while left > 0:
            data = _FILLER[: min(left, CHUNK_SIZE)]
            if route.send_length:
                writer.write(data)
            else:
                writer.write(b"%x\r\n%b\r\n" % (len(data), data))
            # drain() waits while the client is not reading, so nothing piles up here.
            await writer.drain()
            self._sent[path] += len(data)
            left -= len(data)
        if not route.send_length:
            writer.write(b"0\r\n\r\n")
            await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadRequest(f"connection closed mid-request: {exc.partial[:200]!r}") from None
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest("request head over 64 KB") from None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise _BadRequest(f"bad request line {lines[0]!r}") from None
    if not version.startswith("HTTP/1."):
        raise _BadRequest(f"not HTTP/1.x: {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise _BadRequest("chunked request bodies are not supported by the fake")
    length = headers.get("content-length", "0")
    if not length.isdigit():
        raise _BadRequest(f"bad Content-Length {length!r}")
    await reader.readexactly(int(length))
    split = urllib.parse.urlsplit(target)
    return RecordedRequest(
        method=method,
        path=urllib.parse.unquote(split.path),
        query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
        headers=headers,
    )


def _not_modified(request: RecordedRequest, route: _Route) -> bool:
    # As RFC 9110 says: If-Modified-Since counts only when there is no If-None-Match.
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if route.etag is None:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or route.etag.removeprefix("W/") in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or route.last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
        modified = email.utils.parsedate_to_datetime(route.last_modified)
    except (TypeError, ValueError):
        return False
    return modified <= since


async def _write_head(writer: asyncio.StreamWriter, status: int, headers: dict[str, str]) -> None:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unexpected Request" if status == UNEXPECTED_STATUS else "Fake Status"
    lines = [f"HTTP/1.1 {status} {reason}", "Server: mic-fake-upstream"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()


async def _write_whole(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
) -> None:
    all_headers = {"Content-Type": content_type, "Content-Length": str(len(body))} | headers
    await _write_head(writer, status, all_headers)
    writer.write(body)
    await writer.drain()


def _check_path(path: str) -> str:
    if not path.startswith("/") or "?" in path:
        raise ValueError(f"a route is a path from /, without a query: {path!r}")
    return path


def _describe(request: RecordedRequest) -> str:
    query = f"?{urllib.parse.urlencode(request.query)}" if request.query else ""
    return f"{request.method} {request.path}{query}"
