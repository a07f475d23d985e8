"""A channel that posts to the fake gateway of tests/fakes/gateway.py, mapping its answers to
the dispatcher's error kinds the way a real gateway adapter does."""

from __future__ import annotations

import httpx

from app.channels.base import ChannelError, ErrorKind, OutboundMessage, SendResult


class HttpGatewayChannel:
    def __init__(self, name: str, base_url: str, concurrency: int) -> None:
        self.name = name
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10)

    async def send(self, message: OutboundMessage) -> SendResult:
        try:
            response = await self._client.post(
                "/send", json={"id": message.delivery_id, "to": message.urn, "text": message.text}
            )
        except httpx.HTTPError as exc:
            raise ChannelError(ErrorKind.TRANSIENT, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429:
            retry = float(response.headers.get("retry-after", "1"))
            raise ChannelError(ErrorKind.RATE_LIMITED, response.text, retry_after=retry)
        if response.status_code >= 500:
            raise ChannelError(ErrorKind.TRANSIENT, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ChannelError(ErrorKind.PERMANENT, f"HTTP {response.status_code}: {response.text}")
        return SendResult(gateway_id=str(response.json()["message_id"]))

    async def close(self) -> None:
        await self._client.aclose()
