"""Signing in and out of the console over HTTP: the cookie, where the browser goes next, the
lock after repeated failures, one-time passwords, timeouts, and what the audit keeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlmodel import col, select

from app.accounts import passwords
from app.accounts.models import AuditLog, ConsoleSession, Role, StaffUser
from app.core.db import Database
from tests.console.conftest import Users, add_user, csrf_of, sign_in

START = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
REFUSED = "The name or password is not right, or the account is locked"


async def _audit(database: Database, action: str) -> list[AuditLog]:
    async with database.read_session() as session:
        return list(
            (
                await session.exec(
                    select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
                )
            ).all()
        )


async def _user(database: Database, name: str) -> StaffUser:
    async with database.read_session() as session:
        return (await session.exec(select(StaffUser).where(StaffUser.name == name))).one()


async def test_a_page_asks_for_sign_in_and_returns_to_it_afterwards(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    asked = await client.get("/console/account?saved=language")
    assert asked.status_code == 303
    assert (
        asked.headers["location"] == "/console/sign-in?next=%2Fconsole%2Faccount%3Fsaved%3Dlanguage"
    )

    page = await client.get(asked.headers["location"])
    assert 'name="next" value="/console/account?saved=language"' in page.text
    signed = await sign_in(client, users.cde_mm, next_path="/console/account?saved=language")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/console/account?saved=language"

    account = await client.get("/console/account")
    assert account.status_code == 200
    assert '<html lang="my">' in account.text  # thida reads the console in Burmese
    assert "သင့်အကောင့်" in account.text
    [entry] = await _audit(database, "console.sign_in")
    assert entry.actor == users.cde_mm
    assert entry.entity == "staff_user"


async def test_the_session_cookie_is_http_only_lax_and_for_the_console_only(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    signed = await sign_in(client, users.admin)
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("mic_console="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "samesite"} <= attributes
    assert "Path=/console" in cookie and "SameSite=lax" in cookie
    assert "secure" not in attributes  # plain http in this test: a Secure cookie would be lost
    token = cookie.split(";")[0].split("=", 1)[1]
    async with database.read_session() as session:
        stored = (await session.exec(select(ConsoleSession))).one()
    assert token not in (stored.token_hash, stored.csrf_secret)  # only a keyed hash is kept
    assert len(stored.token_hash) == 64


async def test_the_cookie_is_secure_over_https(app: FastAPI, users: Users) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://mic.test") as client:
        signed = await sign_in(client, users.admin)
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("mic_console="))
    assert "Secure" in cookie


async def test_the_cookie_is_secure_when_the_public_url_is_https(
    app: FastAPI, users: Users, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Behind a proxy that ends TLS, MIC itself is reached over http.
    monkeypatch.setattr(app.state.settings, "public_url", "https://mic.example.org")
    signed = await sign_in(client, users.admin)
    assert all("Secure" in c for c in signed.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console/",
        "//evil.example/console/",
        "/\\evil.example",
        "/api/v1/me",
        "javascript:alert(1)",
        "/console/sign-in?next=https://evil.example",
        "/console/../api/v1/me",
    ],
)
async def test_sign_in_never_leads_away_from_the_console(
    client: httpx.AsyncClient, users: Users, target: str
) -> None:
    signed = await sign_in(client, users.admin, next_path=target)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/console/"


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(
    client: httpx.AsyncClient, users: Users, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            hashed.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    wrong = await sign_in(client, users.cde_mm, "not the password")
    unknown = await sign_in(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    for page in (wrong, unknown):
        assert REFUSED in page.text
        assert "mic_console=" not in page.headers.get("set-cookie", "")
    # The unknown name was checked against a hash as costly as a real one: same work, same time.
    assert len(hashed) == 2
    assert hashed[1].startswith("$argon2id$") and hashed[1] != hashed[0]
    assert 'value="nobody-here"' in unknown.text  # the name stays typed in
    failed = await _audit(database, "console.sign_in_failed")
    assert [(e.actor, e.entity_id > 0) for e in failed] == [
        (users.cde_mm, True),
        ("nobody-here", False),
    ]
    assert all("password" not in str(e.after) for e in failed)


async def test_five_failures_lock_the_account_for_a_while_then_longer(
    client: httpx.AsyncClient,
    users: Users,
    database: Database,
    stand_at: Callable[[dt.datetime], None],
) -> None:
    stand_at(START)
    for _ in range(5):
        assert (await sign_in(client, users.cde_mm, "guess")).status_code == 401
    locked = await sign_in(client, users.cde_mm)  # the right password, while locked
    assert locked.status_code == 401 and REFUSED in locked.text
    assert (await _user(database, users.cde_mm)).locked_until == START + dt.timedelta(minutes=15)
    [lock] = await _audit(database, "console.lock")
    assert lock.after is not None and lock.after["failed_sign_ins"] == 5
    assert len(await _audit(database, "console.sign_in_locked")) == 1

    stand_at(START + dt.timedelta(minutes=15, seconds=1))
    for _ in range(5):  # five more in a row: locked twice as long
        await sign_in(client, users.cde_mm, "guess")
    user = await _user(database, users.cde_mm)
    assert user.failed_sign_ins == 10
    assert user.locked_until == START + dt.timedelta(minutes=45, seconds=1)

    stand_at(START + dt.timedelta(minutes=46))
    assert (await sign_in(client, users.cde_mm)).status_code == 303
    user = await _user(database, users.cde_mm)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


async def test_a_lock_holds_one_user_only(
    client: httpx.AsyncClient, users: Users, stand_at: Callable[[dt.datetime], None]
) -> None:
    stand_at(START)
    for _ in range(5):
        await sign_in(client, users.cde_mm, "guess")
    assert (await sign_in(client, users.cde_kh)).status_code == 303


async def test_a_one_time_password_must_be_replaced_before_anything_else(
    client: httpx.AsyncClient, database: Database, seeded: None
) -> None:
    await add_user(database, "new-cde", Role.CDE, ["MM"], password="given-by-admin", temporary=True)
    signed = await sign_in(client, "new-cde", "given-by-admin", next_path="/console/")
    assert signed.status_code == 303
    assert (await client.get("/console/")).headers["location"] == "/console/account"
    account = await client.get("/console/account")
    assert "Choose a password of your own" in account.text
    changed = await client.post(
        "/console/account",
        data={
            "change": "password",
            "current": "given-by-admin",
            "new": "my own secret",
            "repeat": "my own secret",
            "csrf_token": csrf_of(account),
        },
    )
    assert (changed.status_code, changed.headers["location"]) == (303, "/console/")
    assert (await client.get("/console/")).headers["location"] == "/console/account"
    assert "Choose a password" not in (await client.get("/console/account")).text


async def test_an_idle_session_ends_and_says_so(
    client: httpx.AsyncClient, users: Users, stand_at: Callable[[dt.datetime], None]
) -> None:
    stand_at(START)
    await sign_in(client, users.admin)
    stand_at(START + dt.timedelta(minutes=29))
    assert (await client.get("/console/account")).status_code == 200
    stand_at(START + dt.timedelta(minutes=29 + 31))
    expired = await client.get("/console/account")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/console/sign-in?next=%2Fconsole%2Faccount&expired=1"
    assert 'mic_console=""' in expired.headers["set-cookie"]  # the stale cookie is cleared
    page = await client.get(expired.headers["location"])
    assert "Your session has ended. Sign in again to go on." in page.text


async def test_a_session_ends_after_twelve_hours_however_busy(
    client: httpx.AsyncClient, users: Users, stand_at: Callable[[dt.datetime], None]
) -> None:
    stand_at(START)
    await sign_in(client, users.admin)
    moment = START
    while moment < START + dt.timedelta(hours=12):
        moment += dt.timedelta(minutes=20)
        stand_at(moment)
        answer = await client.get("/console/account")
        if moment - START <= dt.timedelta(hours=12):
            assert answer.status_code == 200, moment
    stand_at(START + dt.timedelta(hours=12, minutes=1))
    assert (await client.get("/console/account")).status_code == 303


async def test_signing_out_ends_the_session_for_good(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    await sign_in(client, users.cde_kh)
    cookie = client.cookies.get("mic_console", path="/console")
    assert cookie
    page = await client.get("/console/account")
    out = await client.post("/console/sign-out", data={"csrf_token": csrf_of(page)})
    assert (out.status_code, out.headers["location"]) == (303, "/console/sign-in?signed_out=1")
    assert "You are signed out." in (await client.get(out.headers["location"])).text
    # The old cookie, sent again (copied, or replayed), opens nothing.
    client.cookies.set("mic_console", cookie, path="/console")
    assert (await client.get("/console/account")).status_code == 303
    async with database.read_session() as session:
        assert (await session.exec(select(ConsoleSession))).all() == []
    [entry] = await _audit(database, "console.sign_out")
    assert entry.actor == users.cde_kh


async def test_a_signed_in_browser_skips_the_sign_in_page(
    client: httpx.AsyncClient, users: Users
) -> None:
    await sign_in(client, users.admin)
    again = await client.get("/console/sign-in?next=/console/account")
    assert (again.status_code, again.headers["location"]) == (303, "/console/account")


async def test_the_console_staff_is_the_one_the_api_knows(
    client: httpx.AsyncClient, users: Users
) -> None:
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/account")
    assert "thida" in page.text and "MM" in page.text
    assert "အစုအဖွဲ့ ဖွံ့ဖြိုးရေး အရာရှိ" in page.text  # the CDE role, in Burmese


async def test_a_token_only_user_cannot_sign_in_to_the_console(
    client: httpx.AsyncClient, tokens: object, database: Database
) -> None:
    # `mic token create` made "ana" without a password: only `mic user password` gives one.
    refused = await sign_in(client, "ana", "")
    assert refused.status_code in (401, 422)
    refused = await sign_in(client, "ana", "anything at all")
    assert refused.status_code == 401 and REFUSED in refused.text
