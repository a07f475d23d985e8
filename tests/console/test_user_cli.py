"""`mic user create` and `mic user password` as an administrator runs them, then signing in
with what they printed."""

from __future__ import annotations

import subprocess

import httpx
from sqlmodel import select

from app.accounts.models import AuditLog, StaffUser
from app.core.db import Database
from tests.console.conftest import csrf_of, sign_in
from tests.test_cli import MIC, assert_one_line_error, mic, mic_env


def _with_stdin(*args: str, stdin: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MIC, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=mic_env(database_url),
        timeout=120,
        check=False,
    )


async def test_create_prints_a_one_time_password_that_signs_in_once(
    database_url: str, seeded: None, client: httpx.AsyncClient, database: Database
) -> None:
    created = mic(
        "user", "create", "--name", "thida", "--role", "cde", "--country", "MM",
        "--country", "kh", "--locale", "my", database_url=database_url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    assert "cde (KH, MM) thida" in lines[0]
    password = lines[-1]
    assert len(password) >= 16 and " " not in password
    async with database.read_session() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.name == "thida"))).one()
        entry = (
            await session.exec(select(AuditLog).where(AuditLog.action == "staff_user.create"))
        ).one()
    assert (user.countries, user.locale, user.password_is_temporary) == (["KH", "MM"], "my", True)
    assert password not in str(user.password_hash) and user.password_hash
    assert entry.actor.startswith("cli")
    assert password not in str(entry.after)

    signed = await sign_in(client, "thida", password, next_path="/console/account")
    assert signed.status_code == 303
    account = await client.get("/console/")
    assert account.headers["location"] == "/console/account"  # their own password first


def test_a_name_that_exists_is_refused_in_one_line(database_url: str, seeded: None) -> None:
    first = mic("user", "create", "--name", "ana", "--role", "admin", database_url=database_url)
    assert first.returncode == 0, first.stderr
    again = mic("user", "create", "--name", "ana", "--role", "admin", database_url=database_url)
    assert_one_line_error(again, "staff user 'ana' exists already")


def test_bad_roles_countries_and_languages_are_refused_in_one_line(
    database_url: str, seeded: None
) -> None:
    assert_one_line_error(
        mic("user", "create", "--name", "x", "--role", "cde", database_url=database_url),
        "a cde user needs at least one --country",
    )
    assert_one_line_error(
        mic(
            "user",
            "create",
            "--name",
            "x",
            "--role",
            "cde",
            "--country",
            "TH",
            database_url=database_url,
        ),
        "unknown country TH",
    )
    assert_one_line_error(
        mic(
            "user",
            "create",
            "--name",
            "x",
            "--role",
            "admin",
            "--locale",
            "zh",
            database_url=database_url,
        ),
        "the console speaks en, my, km, lo, vi",
    )


async def test_a_password_from_stdin_and_a_reset(
    database_url: str, seeded: None, client: httpx.AsyncClient
) -> None:
    created = _with_stdin(
        "user", "create", "--name", "min", "--role", "viewer", "--country", "MM",
        "--password-stdin", stdin="chosen by script\n", database_url=database_url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "chosen by script" not in created.stdout
    assert (await sign_in(client, "min", "chosen by script")).status_code == 303

    too_short = _with_stdin(
        "user", "password", "min", "--password-stdin", stdin="short\n", database_url=database_url
    )
    assert_one_line_error(too_short, "a password needs at least 10 characters")
    empty = _with_stdin(
        "user", "password", "min", "--password-stdin", stdin="", database_url=database_url
    )
    assert_one_line_error(empty, "standard input holds no password")

    reset = mic("user", "password", "min", database_url=database_url)
    assert reset.returncode == 0, reset.stderr
    new_password = reset.stdout.strip().splitlines()[-1]
    # The reset ended the session signed in above, and the old password no longer works.
    assert (await client.get("/console/account")).status_code == 303
    assert (await sign_in(client, "min", "chosen by script")).status_code == 401
    assert (await sign_in(client, "min", new_password)).status_code == 303
    page = await client.get("/console/account")
    assert "Choose a password of your own" in page.text
    assert csrf_of(page)


def test_resetting_an_unknown_user_is_refused(database_url: str) -> None:
    assert_one_line_error(
        mic("user", "password", "nobody", database_url=database_url), "no staff user 'nobody'"
    )


async def test_a_reset_lifts_a_lock(
    database_url: str, seeded: None, client: httpx.AsyncClient
) -> None:
    assert mic("user", "create", "--name", "ana", "--role", "admin", database_url=database_url)
    for _ in range(5):
        await sign_in(client, "ana", "guessing wrong")
    reset = mic("user", "password", "ana", database_url=database_url)
    assert (await sign_in(client, "ana", reset.stdout.strip().splitlines()[-1])).status_code == 303
