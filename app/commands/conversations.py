"""Where a multi-step conversation stands (Telegram's sign-up and price report), kept in the
database so that a restart, or another replica answering the next update, continues at the
same step. The transports decide the steps; this module only keeps them."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.commands.models import ChatState
from app.core import clock


async def current(session: AsyncSession, urn: str, flow: str) -> ChatState | None:
    """The conversation of this flow the address is in, if any (another flow's is not)."""
    state = await session.get(ChatState, urn)
    return state if state is not None and state.flow == flow else None


async def save(
    session: AsyncSession, urn: str, *, flow: str, step: str, data: dict[str, Any]
) -> None:
    """The address is now at `step` of `flow`, with what was answered so far; an address is in
    one conversation at a time, so this replaces any other flow's."""
    state = await session.get(ChatState, urn)
    if state is None:
        state = ChatState(urn=urn, flow=flow, step=step, data=data)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), clock.utcnow()
    session.add(state)
    await session.flush()


async def clear(session: AsyncSession, urn: str) -> None:
    state = await session.get(ChatState, urn)
    if state is not None:
        await session.delete(state)
        await session.flush()
