"""Request dependencies: the session boundary, the calling staff member, and the alerts that
what a request publishes sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff, authenticate
from app.alerts.triggers import Alerts
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Unauthorized


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    scope="function" below makes FastAPI finish this dependency before responding, so a commit
    that fails becomes an error response instead of a 200 for data that was never saved.
    """
    database: Database = request.app.state.database
    async with database.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_alerts(settings: SettingsDep) -> Alerts:
    return Alerts(settings)


AlertsDep = Annotated[Alerts, Depends(get_alerts)]

_bearer = HTTPBearer(auto_error=False, description="An API token from `mic token create`")


async def get_staff(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    if credentials is None:
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    return await authenticate(
        session, token=credentials.credentials, key=settings.secret_key.get_secret_value()
    )


StaffDep = Annotated[Staff, Depends(get_staff)]
