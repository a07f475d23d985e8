"""A console as a browser sees it: staff users with known passwords, and signing in through
the real form (CSRF token and all)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.accounts.actor import Actor
from app.accounts.models import Role, StaffUser
from app.accounts.users import create_user
from app.core.db import Database

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry (the test fails if the page has none)."""
    found = _CSRF.search(page.text)
    assert found is not None, f"no CSRF field on {page.request.url}: {page.text[:300]}"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, name: str, password: str = PASSWORD, *, next_path: str = ""
) -> httpx.Response:
    """Open the sign-in page and post its form, as a browser does."""
    page = await client.get("/console/sign-in")
    assert page.status_code == 200, page.text
    return await client.post(
        "/console/sign-in",
        data={
            "username": name,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_of(page),
        },
    )


class Consoles:
    """Browsers of their own (one cookie jar each), each signed in through the real form."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.clients: list[httpx.AsyncClient] = []

    async def open(self, name: str, password: str = PASSWORD) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://mic.test"
        )
        self.clients.append(client)
        signed = await sign_in(client, name, password)
        assert signed.status_code == 303, signed.text
        return client

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def consoles(app: FastAPI) -> AsyncIterator[Consoles]:
    """consoles.open(name): a browser signed in as that user, closed after the test."""
    opened = Consoles(app)
    yield opened
    await opened.aclose()


@dataclass(frozen=True)
class Users:
    admin: str = "ana"
    cde_mm: str = "thida"
    cde_kh: str = "sokha"
    viewer_mm: str = "min"


async def add_user(
    database: Database,
    name: str,
    role: Role,
    countries: list[str],
    *,
    locale: str = "en",
    password: str = PASSWORD,
    temporary: bool = False,
) -> None:
    async with database.session() as session:
        await create_user(
            session,
            name=name,
            role=role,
            countries=countries,
            locale=locale,
            password=password,
            actor=Actor.system("test"),
        )
        if not temporary:
            user = (await session.exec(select(StaffUser).where(StaffUser.name == name))).one()
            user.password_is_temporary = False
            session.add(user)


@pytest.fixture
async def users(database: Database, seeded: None) -> Users:
    """One staff member of each kind, each with PASSWORD already their own."""
    names = Users()
    await add_user(database, names.admin, Role.ADMIN, [])
    await add_user(database, names.cde_mm, Role.CDE, ["MM"], locale="my")
    await add_user(database, names.cde_kh, Role.CDE, ["KH"], locale="km")
    await add_user(database, names.viewer_mm, Role.VIEWER, ["MM"])
    return names
