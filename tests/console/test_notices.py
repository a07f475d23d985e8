"""The notices pages: composing with a text per language and the SMS preview, the warning for
languages without a text, drafts, editing, scheduling, sending and cancelling, the delivery
progress, and every bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import AuditLog, Role
from app.core import clock
from app.core.db import Database
from app.notices.models import Notice, NoticeStatus
from tests.alerts.conftest import follower
from tests.console.conftest import Users, add_user, csrf_of, sign_in

CDE = "hla"  # a MM CDE who reads the console in English, so the test can read it too
BURMESE = "မူဆယ် ဂိတ် ယနေ့ ပိတ်သည်။"


@pytest.fixture
async def cde(database: Database, users: Users) -> str:
    await add_user(database, CDE, Role.CDE, ["MM"])
    return CDE


def form(csrf: str, action: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "action": action, "countries": "MM", **fields}


def number(page: httpx.Response, attribute: str) -> str:
    found = re.search(rf"<dd {attribute}>([^<]*)</dd>", page.text)
    assert found is not None, page.text
    return found.group(1)


async def notices(database: Database) -> list[Notice]:
    async with database.read_session() as session:
        return list((await session.exec(select(Notice).order_by(col(Notice.id)))).all())


async def actions(database: Database) -> list[str]:
    async with database.read_session() as session:
        rows = await session.exec(
            select(AuditLog.action).where(col(AuditLog.action).startswith("notice."))
        )
        return list(rows.all())


async def test_the_preview_counts_segments_and_cost_and_warns_of_missing_languages(
    client: httpx.AsyncClient, database: Database, cde: str
) -> None:
    await follower(database)  # reads English, by SMS
    await sign_in(client, cde)
    page = await client.get("/console/notices/new")
    assert page.status_code == 200 and 'id="text_my"' in page.text
    csrf = csrf_of(page)
    short = await client.post("/console/notices/new", data=form(csrf, "preview", text_my=BURMESE))
    assert short.status_code == 200, short.text
    assert number(short, "data-recipients") == "1"
    assert number(short, "data-segments") == "1"
    assert "readers of English, which has no text yet" in short.text
    long = await client.post(
        "/console/notices/new", data=form(csrf, "preview", text_my=BURMESE * 6)
    )
    assert int(number(long, "data-segments")) > 1
    assert number(long, "data-cost") != number(short, "data-cost")
    translated = await client.post(
        "/console/notices/new",
        data=form(csrf, "preview", text_my=BURMESE, text_en="Muse gate closed today."),
    )
    assert "has no text yet" not in translated.text
    # The script's fragment: the same preview, alone.
    fragment = await client.post(
        "/console/notices/preview", data=form(csrf, "", text_my=BURMESE * 6)
    )
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<div")
    assert number(fragment, "data-segments") == number(long, "data-segments")
    assert await notices(database) == []  # previews write nothing


async def test_draft_edit_send_and_progress(
    client: httpx.AsyncClient, database: Database, cde: str
) -> None:
    await follower(database)
    await sign_in(client, cde)
    csrf = csrf_of(await client.get("/console/notices/new"))
    saved = await client.post("/console/notices/new", data=form(csrf, "draft", text_my=BURMESE))
    assert saved.status_code == 303, saved.text
    (notice,) = await notices(database)
    assert saved.headers["location"] == f"/console/notices/{notice.id}?saved=draft"
    assert notice.status is NoticeStatus.DRAFT and notice.texts == {"my": BURMESE}
    page = await client.get(saved.headers["location"])
    assert "The draft is saved." in page.text and number(page, "data-status") == "Draft"
    edited = await client.post(
        f"/console/notices/{notice.id}",
        data=form(csrf, "draft", text_my=BURMESE, text_en="Muse gate closed today."),
    )
    assert edited.status_code == 303
    (notice,) = await notices(database)
    assert notice.texts == {"my": BURMESE, "en": "Muse gate closed today."}
    sent = await client.post(
        f"/console/notices/{notice.id}",
        data=form(csrf, "send", text_my=BURMESE, text_en="Muse gate closed today."),
    )
    assert sent.status_code == 303
    (notice,) = await notices(database)
    assert notice.status is NoticeStatus.SENT
    progress = await client.get(sent.headers["location"])
    assert (
        "Delivery progress" in progress.text and '<td data-count="queued">1</td>' in progress.text
    )
    assert 'id="notice-form"' not in progress.text  # a sent notice cannot change
    listed = await client.get("/console/notices")
    assert f"/console/notices/{notice.id}" in listed.text and "queued 1" in listed.text
    refused = await client.post(
        f"/console/notices/{notice.id}", data=form(csrf, "draft", text_en="Too late")
    )
    assert refused.status_code == 422 and "only unsent notices can change" in refused.text
    assert await actions(database) == [
        "notice.create",
        "notice.update",
        "notice.update",
        "notice.send",
    ]


async def test_schedule_and_cancel(client: httpx.AsyncClient, database: Database, cde: str) -> None:
    await sign_in(client, cde)
    csrf = csrf_of(await client.get("/console/notices/new"))
    # Local time of Myanmar (UTC+06:30), two days on.
    when = (clock.utcnow() + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=6.5)))
    local = when.strftime("%Y-%m-%dT%H:%M")
    scheduled = await client.post(
        "/console/notices/new",
        data=form(csrf, "schedule", text_en="Market closed on Sunday.", send_at=local),
    )
    assert scheduled.status_code == 303, scheduled.text
    (notice,) = await notices(database)
    assert notice.status is NoticeStatus.SCHEDULED and notice.send_at is not None
    assert abs(notice.send_at - when.replace(second=0, microsecond=0)) < dt.timedelta(seconds=1)
    cancelled = await client.post(f"/console/notices/{notice.id}/cancel", data={"csrf_token": csrf})
    assert cancelled.headers["location"] == f"/console/notices/{notice.id}?saved=cancelled"
    (notice,) = await notices(database)
    assert notice.status is NoticeStatus.CANCELLED and notice.cancelled_by == cde
    again = await client.post(f"/console/notices/{notice.id}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text_en": "   "}, "Write the notice in at least one language."),
        ({"text_my": "က" * 5000}, "The မြန်မာ text has 5000 characters; at most 1000 fit."),
        (
            {"text_en": "Closed.", "action": "schedule", "send_at": "2020-01-01T08:00"},
            "is in the past",
        ),
        ({"text_en": "Closed.", "action": "schedule", "send_at": "tomorrow"}, "not a date"),
        ({"text_en": "Closed.", "markets": "atlantis"}, "atlantis"),
        ({"text_en": "Closed.", "countries": ""}, "Choose at least one country."),
    ],
)
async def test_bad_notices_are_refused_and_keep_what_was_typed(
    client: httpx.AsyncClient,
    database: Database,
    cde: str,
    fields: dict[str, str],
    message: str,
) -> None:
    await sign_in(client, cde)
    csrf = csrf_of(await client.get("/console/notices/new"))
    data = {**form(csrf, "draft"), **fields}
    if not data["countries"]:
        del data["countries"]
    refused = await client.post("/console/notices/new", data=data)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    for value in fields.values():
        if value.strip() and len(value) < 100:
            assert value in refused.text  # nothing typed is lost
    if "text_my" in fields:
        assert fields["text_my"] in refused.text
    assert await notices(database) == [] and await actions(database) == []


async def test_scope_roles_and_csrf(
    client: httpx.AsyncClient, database: Database, users: Users, cde: str
) -> None:
    await sign_in(client, cde)
    csrf = csrf_of(await client.get("/console/notices/new"))
    saved = await client.post("/console/notices/new", data=form(csrf, "draft", text_en="Hi."))
    notice_id = saved.headers["location"].split("/")[-1].split("?")[0]
    for token in (None, "stale-token"):
        data = form(token or "", "draft", text_en="Forged.")
        if token is None:
            del data["csrf_token"]
        forged = await client.post("/console/notices/new", data=data)
        assert forged.status_code == 403 and "This form has expired" in forged.text
        cancel = await client.post(f"/console/notices/{notice_id}/cancel", data=data)
        assert cancel.status_code == 403
    assert len(await notices(database)) == 1
    assert (await notices(database))[0].status is NoticeStatus.DRAFT
    assert (await client.get("/console/notices/999999")).status_code == 404
    kh = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with kh:
        await sign_in(kh, users.cde_kh)
        assert (await kh.get(f"/console/notices/{notice_id}")).status_code == 403
        assert f"/console/notices/{notice_id}" not in (await kh.get("/console/notices")).text
        kh_csrf = csrf_of(await kh.get("/console/notices/new"))
        other = await kh.post(f"/console/notices/{notice_id}/cancel", data={"csrf_token": kh_csrf})
        assert other.status_code == 403
    viewer = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with viewer:
        await sign_in(viewer, users.viewer_mm)
        listed = await viewer.get("/console/notices")
        assert f"/console/notices/{notice_id}" in listed.text
        assert "Write a notice" not in listed.text
        assert (await viewer.get("/console/notices/new")).status_code == 403
        page = await viewer.get(f"/console/notices/{notice_id}")
        assert page.status_code == 200 and 'id="notice-form"' not in page.text
    assert (await notices(database))[0].status is NoticeStatus.DRAFT
