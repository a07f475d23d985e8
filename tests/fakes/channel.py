"""An in-memory channel that records what the dispatcher sends and fails on demand."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from app.channels.base import ChannelError, OutboundMessage, SendResult


@dataclass
class RecordingChannel:
    name: str
    known_urns: set[str] = field(default_factory=set)
    sent: list[OutboundMessage] = field(default_factory=list)
    attempts: list[OutboundMessage] = field(default_factory=list)
    # Errors to raise, in order, for one urn (or "*" for whichever message comes next).
    failures: dict[str, deque[ChannelError]] = field(default_factory=dict)

    def fail(self, urn: str, *errors: ChannelError) -> None:
        self.failures.setdefault(urn, deque()).extend(errors)

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.urn not in self.known_urns:
            raise AssertionError(f"{self.name}: message to unexpected recipient {message.urn}")
        self.attempts.append(message)
        for key in (message.urn, "*"):
            queue = self.failures.get(key)
            if queue:
                raise queue.popleft()
        self.sent.append(message)
        return SendResult(gateway_id=f"{self.name}-{message.delivery_id}")

    async def close(self) -> None:
        return None

    def texts_to(self, urn: str) -> list[str]:
        return [m.text for m in self.sent if m.urn == urn]
