"""Request dependencies: the session boundary, the calling staff member, and the alerts that
what a request publishes sends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff, authenticate, record_token_use
from app.alerts.triggers import Alerts
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Unauthorized

# HTTP's safe methods: a request made with one of them reads and never writes.
READ_METHODS = frozenset({"GET", "HEAD"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def is_read(request: Request) -> bool:
    return request.method in READ_METHODS


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent: a read session for
    a GET (on SQLite it neither waits for nor holds the write lock), a write session otherwise.

    scope="function" below makes FastAPI finish this dependency before responding, so a commit
    that fails becomes an error response instead of a 200 for data that was never saved.
    """
    database = get_database(request)
    transaction = database.read_session() if is_read(request) else database.session()
    async with transaction as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_alerts(settings: SettingsDep) -> Alerts:
    return Alerts(settings)


AlertsDep = Annotated[Alerts, Depends(get_alerts)]

_bearer = HTTPBearer(auto_error=False, description="An API token from `mic token create`")


async def get_staff(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    if credentials is None:
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    found = await authenticate(
        session, token=credentials.credentials, key=settings.secret_key.get_secret_value()
    )
    if found.record_use:
        token_id = found.token_id
        await write_aside(request, session, lambda writer: record_token_use(writer, token_id))
    return found.staff


async def write_aside(
    request: Request, session: AsyncSession, work: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    """A small write that any request may need (recording a token's or a session's use),
    whether the request reads or writes."""
    database = get_database(request)
    if is_read(request) and database.read_engine is not database.engine:
        # A read session cannot write: the use gets a short write transaction of its own, at
        # most once a minute per token or session (so a GET waits for the write lock that often).
        async with database.session() as writer:
            await work(writer)
    else:
        # A write session holds SQLite's write turn already, and an in-memory database's read
        # session shares the writers' one connection: a second write session would wait for the
        # turn this task holds (and fail after WRITER_WAIT_S), so the use is recorded in the
        # request's own transaction.
        await work(session)


StaffDep = Annotated[Staff, Depends(get_staff)]
