"""What the HTTP gateway adapters share: one request with its network failures turned into
transient channel errors, Retry-After, and a short excerpt of an answer for a reason."""

from __future__ import annotations

from typing import Any

import httpx

from app.channels.base import ChannelError, ErrorKind
from app.core.retry_after import retry_after_seconds

# A gateway asking for a longer pause than this is misconfigured: the channel tries again after
# an hour and reads the next answer, rather than stop sending for as long as the header says.
MAX_RETRY_AFTER_S = 3600.0


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
    """Retry-After in seconds (app.core.retry_after); `default` when absent or unreadable."""
    seconds = retry_after_seconds(response.headers.get("retry-after"), cap=MAX_RETRY_AFTER_S)
    return default if seconds is None else seconds


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
