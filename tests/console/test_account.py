"""Your account page: the language of your pages, and changing your password."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import AuditLog, ConsoleSession
from app.core.db import Database
from app.main import create_app
from tests.console.conftest import PASSWORD, Users, csrf_of, sign_in


async def _change(client: httpx.AsyncClient, **data: str) -> httpx.Response:
    page = await client.get("/console/account")
    return await client.post("/console/account", data={**data, "csrf_token": csrf_of(page)})


async def test_choosing_a_language_translates_the_pages(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    await sign_in(client, users.admin)
    saved = await _change(client, change="language", locale="vi")
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        "/console/account?saved=language",
    )
    page = await client.get(saved.headers["location"])
    assert '<html lang="vi">' in page.text
    assert "Tài khoản của bạn" in page.text and "Đã lưu ngôn ngữ." in page.text
    assert "Tất cả các nước" in page.text  # an admin's countries
    async with database.read_session() as session:
        entry = (
            await session.exec(select(AuditLog).where(AuditLog.action == "staff_user.locale"))
        ).one()
    assert entry.after == {"name": users.admin, "locale": "vi"}


@pytest.mark.parametrize("locale", ["zh", "fr", "", "my_Latn"])
async def test_a_language_the_console_does_not_speak_is_refused(
    client: httpx.AsyncClient, users: Users, locale: str
) -> None:
    await sign_in(client, users.cde_mm)
    refused = await _change(client, change="language", locale=locale)
    assert refused.status_code == 422
    assert '<html lang="my">' in refused.text  # unchanged
    assert "ဖော်ပြထားသော ဘာသာစကားများထဲမှ" in refused.text


async def test_two_readers_get_their_own_language_at_the_same_moment(
    app: object, users: Users
) -> None:
    import asyncio

    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    async def read_account(name: str) -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client:
            await sign_in(client, name)
            pages = await asyncio.gather(*(client.get("/console/account") for _ in range(5)))
        return "".join(p.text for p in pages)

    burmese, khmer = await asyncio.gather(read_account(users.cde_mm), read_account(users.cde_kh))
    assert "သင့်အကောင့်" in burmese and "គណនីរបស់អ្នក" not in burmese
    assert "គណនីរបស់អ្នក" in khmer and "သင့်အကောင့်" not in khmer


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("wrong current", "a fine new one", "a fine new one", "The current password is not right."),
        (PASSWORD, "short", "short", "The new password is too short."),
        (PASSWORD, "a fine new one", "a fine new on", "The two new passwords are not the same."),
        (PASSWORD, PASSWORD, PASSWORD, "The new password must differ from the current one."),
        (PASSWORD, "ana", "ana", "The new password is too short."),
        (PASSWORD, " padded password ", " padded password ", "may not begin or end with a space"),
        (PASSWORD, "x" * 300, "x" * 300, "The new password is too long."),
    ],
)
async def test_a_bad_password_change_says_why_and_changes_nothing(
    client: httpx.AsyncClient, users: Users, current: str, new: str, repeat: str, message: str
) -> None:
    await sign_in(client, users.admin)
    refused = await _change(client, change="password", current=current, new=new, repeat=repeat)
    assert refused.status_code == 422
    assert message in refused.text
    page = await client.get("/console/sign-in")
    assert page.status_code == 303  # still signed in
    client.cookies.clear()
    assert (await sign_in(client, users.admin)).status_code == 303  # the old password holds


async def test_a_new_password_signs_out_the_other_browsers(
    app: object, client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as phone:
        await sign_in(phone, users.cde_mm)
        await sign_in(client, users.cde_mm)
        changed = await _change(
            client,
            change="password",
            current=PASSWORD,
            new="a brand new one",
            repeat="a brand new one",
        )
        assert changed.headers["location"] == "/console/account?saved=password"
        assert (await client.get("/console/account")).status_code == 200
        assert (await phone.get("/console/account")).status_code == 303
    async with database.read_session() as session:
        assert len((await session.exec(select(ConsoleSession))).all()) == 1
        actions = (
            await session.exec(select(AuditLog.action).order_by(col(AuditLog.id).desc()))
        ).first()
    assert actions == "staff_user.password_change"
    client.cookies.clear()
    assert (await sign_in(client, users.cde_mm, "a brand new one")).status_code == 303


async def test_an_unknown_change_is_refused(client: httpx.AsyncClient, users: Users) -> None:
    await sign_in(client, users.admin)
    refused = await _change(client, change="role", locale="en")
    assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]


def test_the_console_is_not_in_the_openapi() -> None:
    paths = create_app().openapi()["paths"]
    assert not any(p.startswith("/console") for p in paths)
