"""CSRF on every form post, and the console's HTML error pages: whatever goes wrong under
/console, a page in the reader's language says so and nothing is half-done."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.accounts.models import StaffUser
from app.console import account
from app.core.db import Database
from app.core.errors import Forbidden
from tests.console.conftest import PASSWORD, Users, csrf_of, sign_in

EXPIRED_FORM = "This form has expired"


async def _locale(database: Database, name: str) -> str:
    async with database.read_session() as session:
        user = (await session.exec(select(StaffUser).where(StaffUser.name == name))).one()
    return user.locale


@pytest.mark.parametrize("token", [None, "", "x" * 43])
async def test_a_form_without_its_token_changes_nothing(
    client: httpx.AsyncClient, users: Users, database: Database, token: str | None
) -> None:
    await sign_in(client, users.admin)
    data = {"change": "language", "locale": "vi"}
    if token is not None:
        data["csrf_token"] = token
    refused = await client.post("/console/account", data=data)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert EXPIRED_FORM in refused.text and "nothing was changed" in refused.text
    assert await _locale(database, users.admin) == "en"


async def test_a_token_of_an_earlier_session_is_stale(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    await sign_in(client, users.admin)
    old_token = csrf_of(await client.get("/console/account"))
    page = await client.get("/console/account")
    await client.post("/console/sign-out", data={"csrf_token": csrf_of(page)})
    await sign_in(client, users.admin)
    refused = await client.post(
        "/console/account", data={"change": "language", "locale": "vi", "csrf_token": old_token}
    )
    assert refused.status_code == 403 and EXPIRED_FORM in refused.text
    assert await _locale(database, users.admin) == "en"


async def test_signing_in_needs_the_token_of_the_sign_in_page(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    # A page of another site can make a browser post this form, but not read its token.
    forged = await client.post(
        "/console/sign-in", data={"username": users.admin, "password": PASSWORD}
    )
    assert forged.status_code == 403 and EXPIRED_FORM in forged.text
    assert "mic_console=" not in forged.headers.get("set-cookie", "")
    page = await client.get("/console/sign-in")
    client.cookies.clear()  # the token of the page, without the browser's cookie that backs it
    forged = await client.post(
        "/console/sign-in",
        data={"username": users.admin, "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert forged.status_code == 403


async def test_signing_out_needs_the_token_too(client: httpx.AsyncClient, users: Users) -> None:
    await sign_in(client, users.admin)
    assert (await client.post("/console/sign-out")).status_code == 403
    assert (await client.get("/console/account")).status_code == 200  # still signed in


async def test_a_form_posted_after_the_session_ended_leads_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    posted = await client.post("/console/account", data={"change": "language", "locale": "vi"})
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/console/sign-in")


async def test_error_pages_are_html_in_the_readers_language(
    client: httpx.AsyncClient, users: Users
) -> None:
    await sign_in(client, users.cde_kh)  # sokha reads Khmer
    missing = await client.get("/console/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert '<html lang="km">' in missing.text and "រកមិនឃើញ" in missing.text
    wrong_method = await client.put("/console/account")
    assert wrong_method.status_code == 405 and "text/html" in wrong_method.headers["content-type"]
    # Outside the console, errors keep the API's JSON shape.
    api = await client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"] == "not_found"


async def test_an_incomplete_form_gets_a_page_not_json(
    client: httpx.AsyncClient, users: Users
) -> None:
    await sign_in(client, users.admin)
    page = await client.get("/console/account")
    incomplete = await client.post("/console/account", data={"csrf_token": csrf_of(page)})
    assert incomplete.status_code == 422
    assert "Check what you entered" in incomplete.text


async def test_a_refusal_of_a_service_is_a_403_page_with_its_reason(
    client: httpx.AsyncClient, users: Users, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(*_args: object, **_kwargs: object) -> None:
        raise Forbidden("producer 7 is in KH; your token covers MM")

    monkeypatch.setattr(account, "set_locale", refuse)
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/account")
    refused = await client.post(
        "/console/account",
        data={"change": "language", "locale": "vi", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 403
    assert "producer 7 is in KH" in refused.text
    assert "ခွင့်မပြုပါ" in refused.text  # "Not allowed", in thida's Burmese


async def test_an_unexpected_error_is_a_page_not_a_bare_500(
    app: FastAPI, users: Users, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(account, "set_locale", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://mic.test") as client:
        await sign_in(client, users.admin)
        page = await client.get("/console/account")
        failed = await client.post(
            "/console/account",
            data={"change": "language", "locale": "vi", "csrf_token": csrf_of(page)},
        )
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in failed.text and "a bug" not in failed.text


async def test_console_pages_forbid_framing_inline_script_and_caching(
    client: httpx.AsyncClient, users: Users
) -> None:
    await sign_in(client, users.admin)
    for path in ("/console/sign-in", "/console/account", "/console/no-such-page"):
        answer = await client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "<script" not in answer.text and " style=" not in answer.text
    api = await client.get("/healthz")
    assert api.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_the_stylesheet_is_served_by_mic_and_pages_stay_small(
    client: httpx.AsyncClient, users: Users
) -> None:
    css = await client.get("/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/account")
    assert 'href="/static/console.css"' in page.text
    assert "//" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no CDN
    assert len(page.content) + len(css.content) < 150_000
