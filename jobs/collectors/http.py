"""How every collector fetches its payload: one GET with conditional headers, retried while the
failure may pass, bounded in size and in time, and refused when a portal sends an HTML page
instead of the data it was asked for."""

from __future__ import annotations

import asyncio
import html
import random
import re
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal, NoReturn

import httpcore
import httpx

from app.core.redact import excerpt
from app.core.retry_after import retry_after_seconds
from app.sources.addresses import AddressRefused, allowed_set, resolve
from app.sources.records import CollectorError

MAX_BYTES = 20 * 1024 * 1024
DEFAULT_USER_AGENT = "MIC market information collector (+https://github.com/mekong-mic)"
CONNECT_TIMEOUT_S = 10.0
MAX_REDIRECTS = 5
# A server asking for a longer pause than this is not going to be ready within one run anyway.
MAX_RETRY_AFTER_S = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Enough of an error answer to quote it; the rest is not worth downloading.
EXCERPT_BYTES = 4096
EXCERPT_CHARS = 200

Expect = Literal["csv", "json", "xml", "html", "any"]

_HTML_START = re.compile(rb"(?:<!doctype\s+html|<html)", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Fetched:
    content: bytes | None  # None when the server answered 304 Not Modified
    etag: str | None
    last_modified: str | None
    content_type: str | None
    url: str  # after redirects


class FetchError(CollectorError):
    """The payload could not be fetched; the message says what the server did, for the run log."""


class _Transient(Exception):
    """A failure that may pass: worth another attempt after `wait_s`, or after the backoff."""

    def __init__(self, problem: str, wait_s: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait_s = wait_s


def new_client(
    *,
    allowed_hosts: Collection[str] = (),
    timeout_s: float = 30.0,
    user_agent: str = DEFAULT_USER_AGENT,
) -> httpx.AsyncClient:
    """The client collectors share. Connecting never waits longer than reading would. It only
    connects to public addresses, or to `allowed_hosts` (app.sources.addresses)."""
    return httpx.AsyncClient(
        transport=_GuardedTransport(allowed_set(allowed_hosts)),
        # Proxies from the environment would be connected to instead of the source's host, out
        # of the guard's sight.
        trust_env=False,
        timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": user_agent},
    )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens every connection (the first request's and each redirect's) to the address the
    host's name was checked to have, never to a second lookup of the name."""

    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        self._allowed_hosts = allowed_hosts
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await resolve(host, port, self._allowed_hosts)
        return await self._backend.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("sources do not fetch through Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        super().__init__()
        limits = httpx.Limits()  # httpx's defaults, as the pool it built has
        # httpx takes no network backend, so its pool is built again with ours; TLS still checks
        # the certificate against the host's name, which httpcore passes along separately.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(allowed_hosts),
        )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    expect: Expect,
    params: Mapping[str, str] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    attempts: int = 3,
    backoff_s: float = 1.0,
    deadline_s: float = 120.0,
) -> Fetched:
    """GET `url`; see the module docstring. Raises FetchError with a message fit for a CDE."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    headers: dict[str, str] = {}
    if etag is not None:
        headers["If-None-Match"] = etag
    if last_modified is not None:
        headers["If-Modified-Since"] = last_modified
    host = _host(url)
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + deadline_s
    made = 0
    problem = ""
    try:
        async with asyncio.timeout_at(ends_at):
            while True:
                made += 1
                try:
                    return await _attempt(
                        client,
                        url,
                        params=params,
                        headers=headers,
                        expect=expect,
                        max_bytes=max_bytes,
                        sent_etag=etag,
                        sent_last_modified=last_modified,
                    )
                except _Transient as failure:
                    problem = failure.problem
                    wait_s = failure.wait_s
                if made >= attempts:
                    break
                if wait_s is None:
                    wait_s = backoff_s * 2 ** (made - 1)
                # Collectors for one source start together; jitter keeps them from retrying in
                # lockstep against a portal that is already struggling.
                wait_s *= 1 + random.uniform(0, 0.1)  # noqa: S311 - spreading retries, not a secret
                if loop.time() + wait_s >= ends_at:
                    # Sleeping into the deadline would only trade the real reason for "too slow".
                    raise FetchError(
                        f"{problem} ({_attempts(made)}; no time left for another before the"
                        f" {deadline_s:g} s deadline)"
                    )
                await asyncio.sleep(wait_s)
    except TimeoutError:
        raise FetchError(
            f"no complete answer from {host} within the {deadline_s:g} s deadline"
            f" ({_attempts(made)})"
        ) from None
    raise FetchError(f"{problem} ({_attempts(made)})")


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str],
    expect: Expect,
    max_bytes: int,
    sent_etag: str | None,
    sent_last_modified: str | None,
) -> Fetched:
    host = _host(url)
    timeout = client.timeout
    answered = False
    try:
        async with client.stream("GET", url, params=params, headers=headers) as response:
            answered = True
            where = f"{response.url.host}{response.url.path}"
            status = response.status_code
            if status == 304:
                # A 304 need not repeat the validators; the ones sent are still the current ones.
                return Fetched(
                    content=None,
                    etag=response.headers.get("etag", sent_etag),
                    last_modified=response.headers.get("last-modified", sent_last_modified),
                    content_type=response.headers.get("content-type"),
                    url=str(response.url),
                )
            if status in RETRY_STATUSES:
                problem = f"HTTP {status} from {where}: {await _excerpt(response)}"
                header = response.headers.get("retry-after") if status == 429 else None
                raise _Transient(problem, retry_after_seconds(header, cap=MAX_RETRY_AFTER_S))
            if not 200 <= status < 300:
                raise FetchError(f"HTTP {status} from {where}: {await _excerpt(response)}")
            content = await _read(response, max_bytes)
            content_type = response.headers.get("content-type")
            if not content:
                raise FetchError(f"HTTP {status} from {where} with an empty body")
            if expect in ("csv", "json", "xml") and _is_html(content, content_type):
                title = _title(content)
                page = f"an HTML page: {title}" if title else "an HTML page without a title"
                raise FetchError(f"expected {expect.upper()} but the server sent {page}")
            return Fetched(
                content=content,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                content_type=content_type,
                url=str(response.url),
            )
    except httpx.ConnectTimeout:
        raise _Transient(
            f"could not connect to {host} within {_seconds(timeout.connect)}"
        ) from None
    except httpx.TimeoutException:
        if answered:
            raise _Transient(
                f"{host} stopped sending for {_seconds(timeout.read)} mid-answer"
            ) from None
        raise _Transient(f"no answer from {host} within {_seconds(timeout.read)}") from None
    except httpx.ConnectError as exc:
        raise _Transient(f"could not connect to {host}: {_reason(exc)}") from None
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        # Our own request is wrong; asking again will not change that.
        raise FetchError(f"could not request {url}: {_reason(exc)}") from None
    except httpx.TransportError as exc:
        raise _Transient(f"the connection to {host} broke: {_reason(exc)}") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {host}") from None
    except httpx.DecodingError as exc:
        raise FetchError(f"the answer from {host} could not be decoded: {_reason(exc)}") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a usable URL: {url} ({exc})") from None
    except AddressRefused as exc:
        # Raised while connecting, so also for a redirect's target: never retried.
        raise FetchError(f"refused to fetch: {exc}") from None


async def _read(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decoded, given up as soon as it passes `max_bytes`: a runaway export or a
    compression bomb must not take the worker's memory with it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        _too_large(max_bytes)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            _too_large(max_bytes)
    return bytes(body)


def _too_large(max_bytes: int) -> NoReturn:
    raise FetchError(f"the response is larger than {_size(max_bytes)}; refused")


async def _excerpt(response: httpx.Response) -> str:
    """A short, one-line quote of an error answer, read no further than needed."""
    head = bytearray()
    async for chunk in response.aiter_bytes():
        head += chunk
        if len(head) >= EXCERPT_BYTES:
            break
    if _is_html(bytes(head), response.headers.get("content-type")):
        # The markup around an error page's message says nothing; its title usually does.
        title = _title(bytes(head))
        if title:
            return title
    text = excerpt(bytes(head).decode(response.encoding or "utf-8", "replace"), EXCERPT_CHARS)
    return text or "(empty body)"


def _is_html(content: bytes, content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "text/html":
        return True
    start = content[:1024].lstrip()
    if start.startswith(_BOM):
        start = start[len(_BOM) :].lstrip()
    return _HTML_START.match(start) is not None


def _title(content: bytes) -> str | None:
    # Titles sit in the head; decoding the whole of a large page to find one is wasted work.
    match = _TITLE.search(content[:65536].decode("utf-8", "replace"))
    if match is None:
        return None
    return excerpt(html.unescape(match.group(1)), EXCERPT_CHARS) or None


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL:
        return url


def _reason(exc: Exception) -> str:
    # Several httpx errors carry no message; their class name is then all there is to say.
    return str(exc) or type(exc).__name__


def _seconds(value: float | None) -> str:
    return "unlimited time" if value is None else f"{value:g} s"


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _size(n: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"
