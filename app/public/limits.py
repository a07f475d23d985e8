"""Rate limits of the public routes (`/`, `/board/`, `/cards/`, `/open/`), kept apart from the
API's, the console's and the webhooks', which they never count nor delay.

Each client (its address as uvicorn resolved it: X-Forwarded-For only from MIC_TRUSTED_PROXIES)
has a token bucket of MIC_PUBLIC_BURST requests refilled at MIC_PUBLIC_RATE a second; past it,
429 with Retry-After. Buckets are kept for the MIC_PUBLIC_CLIENTS most recent clients, so memory
stays bounded whatever addresses a crawler cycles through. And whatever the number of clients,
one process serves MIC_PUBLIC_CONCURRENCY public requests at once: the others wait their turn,
up to a queue's worth, then get 503, so the workers and database connections the console and
the API need are never all taken by the public.

The limits are per process: a deployment of several replicas allows each client as much on
each.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import error_response
from app.core.config import Settings
from app.core.i18n import N_, board_translator
from app.public.languages import reader_locale

PUBLIC_PREFIXES = ("/board/", "/cards/", "/open/")
OPEN_DATA_PREFIX = "/open/"
# How many public requests may wait for a turn, per request being served, before more are
# turned away: a short burst (a chat group opening one card) waits, a flood does not pile up.
QUEUE_PER_TURN = 8
BUSY_RETRY_S = 1


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


def client_key(scope: Scope) -> str:
    """Whose bucket a request counts in: its IPv4 address, or its IPv6 /64 (one subscriber's
    network, inside which an address costs nothing to change)."""
    client = scope.get("client")
    host = str(client[0]) if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a Unix socket, a test client): a bucket of its own
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ClientBuckets:
    """A token bucket per client, the least recently seen forgotten past `capacity`. `clock`
    gives seconds (monotonic); tests point it at a clock of their own."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.capacity = capacity
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Seconds until `key` may ask again: 0 when this request may go (and is counted)."""
        now = self.clock()
        # Taken out and put back: the bucket moves to the recent end of the order.
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - then) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        return wait


def buckets_for(settings: Settings) -> ClientBuckets | None:
    """The buckets the settings ask for; None when public requests are not limited."""
    if settings.public_rate == 0:
        return None
    return ClientBuckets(
        rate=settings.public_rate, burst=settings.public_burst, capacity=settings.public_clients
    )


class PublicLimits:
    """ASGI middleware: the per-client buckets, then the process's turns, for public paths
    only; any other path goes straight through."""

    def __init__(self, app: ASGIApp, *, buckets: ClientBuckets | None, concurrency: int) -> None:
        self.app = app
        self.buckets = buckets
        self.turns = asyncio.Semaphore(concurrency)
        self.max_waiting = concurrency * QUEUE_PER_TURN
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(client_key(scope)) if self.buckets is not None else 0.0
        if wait > 0:
            await _refusal(scope, 429, math.ceil(wait))(scope, receive, send)
            return
        if self.turns.locked() and self.waiting >= self.max_waiting:
            await _refusal(scope, 503, BUSY_RETRY_S)(scope, receive, send)
            return
        self.waiting += 1
        try:
            await self.turns.acquire()
        finally:
            self.waiting -= 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.turns.release()


# Shown to a person on the board or a card's link; the open data answers in the API's shape.
TOO_MANY = N_(
    "Too many requests from your connection. Please wait {seconds} seconds and try again."
)
BUSY = N_("The price board is busy. Please try again in a moment.")


def _refusal(scope: Scope, status: int, retry_after: int) -> Response:
    # A refusal is of this moment: no cache may serve it later in place of the page.
    headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
    if scope["path"].startswith(OPEN_DATA_PREFIX):
        limited = status == 429
        response = error_response(
            status,
            "too_many_requests" if limited else "busy",
            f"too many requests {'from your address' if limited else 'at once'}; "
            f"try again in {retry_after} s",
        )
        response.headers.update(headers)
        return response
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = query.get("lang", [None])[0]
    locale = reader_locale(asked, Headers(scope=scope).get("accept-language"))
    translate = board_translator(locale).gettext
    text = translate(TOO_MANY).format(seconds=retry_after) if status == 429 else translate(BUSY)
    return PlainTextResponse(text, status_code=status, headers=headers)
