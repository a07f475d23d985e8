"""In-process domain events, handled inside the transaction that raised them.

A handler that writes (the alerts fan-out writing outbox rows when a price is published) commits
or rolls back together with the change that caused it: no alert for a price that was never
saved, and no saved price whose alerts were lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]


@dataclass(frozen=True)
class PricePublished:
    price_id: int


@dataclass(frozen=True)
class LeadVerified:
    lead_id: int


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def subscribe(
        self, event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]
    ) -> None:
        self._handlers[event_type].append(handler)

    def unsubscribe(
        self, event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]
    ) -> None:
        self._handlers[event_type].remove(handler)

    async def emit(self, session: AsyncSession, event: object) -> None:
        for handler in self._handlers[type(event)]:
            await handler(session, event)


# The composition root (app/main.py) subscribes handlers; services emit.
bus = EventBus()
