"""What the HTTP gateway adapters share: one request with its network failures turned into
transient channel errors, Retry-After, and a short excerpt of an answer for a reason."""

from __future__ import annotations

import email.utils
import math
from typing import Any

import httpx

from app.channels.base import ChannelError, ErrorKind
from app.core import clock


async def request(
    client: httpx.AsyncClient, gateway: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """One call to a gateway; timeouts and network errors are worth a retry."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ChannelError(ErrorKind.TRANSIENT, f"{gateway}: timeout ({exc!r})") from exc
    except httpx.TransportError as exc:
        raise ChannelError(ErrorKind.TRANSIENT, f"{gateway}: network error ({exc!r})") from exc


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    """Retry-After in seconds: a number, or an HTTP date; `default` when absent or unreadable."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else default
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        return default
    return max((when - clock.utcnow()).total_seconds(), 0.0)


def excerpt(response: httpx.Response, limit: int = 200) -> str:
    text = " ".join(response.text.split())
    return text[:limit] + ("…" if len(text) > limit else "") if text else "(empty body)"


def answer_id(response: httpx.Response, gateway: str, field: str) -> str:
    """The message id in a 2xx answer. Anything else there (a captive portal, a proxy page, a
    wrong base URL) means the message is not known to be sent: a transient error."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    value = answer.get(field) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        raise ChannelError(
            ErrorKind.TRANSIENT,
            f"{gateway}: unexpected answer {response.status_code}: {excerpt(response)}",
        )
    return value
