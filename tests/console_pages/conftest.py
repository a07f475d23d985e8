"""Staff users of the console signed in through the real form (tests.console's helpers), one
client and so one cookie jar each, beside the API tokens of the same people that the tests use
to set up prices and producers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.accounts.actor import Actor
from app.accounts.models import Role, StaffUser
from app.accounts.passwords import hash_password
from app.accounts.users import create_user
from app.core.db import Database
from tests.console.conftest import PASSWORD, Consoles, csrf_of
from tests.prices.conftest import price_ids

__all__ = ["Browser", "browser", "csrf_of", "price_ids"]

Browser = Callable[..., Awaitable[httpx.AsyncClient]]

USERS = {
    "ana": (Role.ADMIN, []),
    "thida": (Role.CDE, ["MM"]),
    "sokha": (Role.CDE, ["KH"]),
    "min": (Role.VIEWER, ["MM"]),
}


@pytest.fixture
async def browser(app: FastAPI, database: Database, seeded: None) -> AsyncIterator[Browser]:
    """browser(name): a client signed in as that user (ana, thida, sokha or min)."""
    consoles = Consoles(app)

    async def open_as(name: str, locale: str = "en") -> httpx.AsyncClient:
        role, countries = USERS[name]
        async with database.session() as session:
            user = (await session.exec(select(StaffUser).where(StaffUser.name == name))).first()
            if user is None:
                await create_user(
                    session,
                    name=name,
                    role=role,
                    countries=countries,
                    locale=locale,
                    password=PASSWORD,
                    actor=Actor.system("test"),
                )
                user = (await session.exec(select(StaffUser).where(StaffUser.name == name))).one()
            else:  # made by the `tokens` fixture for the API: the same person signs in too
                user.password_hash = hash_password(PASSWORD)
                user.locale = locale
            user.password_is_temporary = False
            session.add(user)
        return await consoles.open(name)

    yield open_as
    await consoles.aclose()
