"""Correcting a price from its page: the form prefilled with the price as it is, the correction
saved and audited exactly as PATCH /api/v1/prices/{id} saves it, the price's history with every
earlier version, and every bad input answered on the page with what was typed kept and nothing
written."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.actor import Actor
from app.accounts.models import AuditLog, Role
from app.accounts.service import create_token
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.prices.models import PriceObservation
from tests.conftest import Tokens
from tests.console.conftest import Consoles, Users, add_user, csrf_of
from tests.today.test_today import post, price_body

CDE = "hla"  # a Myanmar CDE reading the console in English, with an API token too


@pytest.fixture
async def cde_api(database: Database, settings: Settings, users: Users) -> dict[str, str]:
    """The API token of the CDE who also signs in to the console: the same person both ways."""
    await add_user(database, CDE, Role.CDE, ["MM"])
    async with database.session() as session:
        issued = await create_token(
            session,
            name=CDE,
            role=Role.CDE,
            countries=["MM"],
            key=settings.secret_key.get_secret_value(),
            actor=Actor.system("test"),
        )
    return {"Authorization": f"Bearer {issued.token}"}


async def pending(
    client: httpx.AsyncClient, headers: dict[str, str], price: str, **extra: Any
) -> int:
    created = await post(client, headers, "/api/v1/prices", price_body("MM", price, **extra))
    price_id: int = created["id"]
    return price_id


def form_of(page: httpx.Response, **typed: str) -> dict[str, str]:
    """The correction form as the page fills it, with `typed` over it: what a browser sends."""
    form = page.text.split('id="correct-form"')[1].split("</form>")[0]
    values = {}
    for tag in re.findall(r"<input[^>]*>", form):
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue  # a browser sends a box only when it is ticked
        name, value = re.search(r'name="([a-z_]+)"', tag), re.search(r'value="([^"]*)"', tag)
        assert name is not None and value is not None, tag
        values[name.group(1)] = html.unescape(value.group(1))
    for name in ("unit", "price_type"):
        select_ = form.split(f'name="{name}"')[1].split("</select>")[0]
        found = re.search(r'<option value="([^"]*)" selected>', select_)
        assert found is not None, select_
        values[name] = found.group(1)
    values["note"] = html.unescape(form.split('name="note"')[1].split(">", 1)[1].split("<")[0])
    return {**values, **typed}


async def price_row(database: Database, price_id: int) -> PriceObservation:
    async with database.read_session() as session:
        price = await session.get(PriceObservation, price_id)
        assert price is not None
        return price


async def audit_rows(database: Database, price_id: int) -> list[AuditLog]:
    async with database.read_session() as session:
        rows = await session.exec(
            select(AuditLog)
            .where(AuditLog.entity == "price", AuditLog.entity_id == price_id)
            .order_by(col(AuditLog.id))
        )
        return list(rows.all())


async def actions_of(database: Database, price_id: int) -> list[str]:
    return [row.action for row in await audit_rows(database, price_id)]


def correction_of(row: AuditLog) -> dict[str, Any]:
    """What an audit entry of a correction says, without what differs between two prices
    anyway (their ids, days and timestamps)."""
    assert row.before is not None and row.after is not None
    own = {"id", "observed_on", "created_at", "updated_at"}
    changed = {k for k in row.after if row.before.get(k) != row.after[k]} - own
    return {
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "country": row.country_code,
        "fields": sorted(row.after),
        "before": {k: row.before[k] for k in changed},
        "after": {k: row.after[k] for k in changed},
    }


async def test_a_correction_is_saved_and_audited_as_the_api_audits_it(
    client: httpx.AsyncClient, database: Database, cde_api: dict[str, str], consoles: Consoles
) -> None:
    yesterday = (clock.today("Asia/Yangon") - dt.timedelta(days=1)).isoformat()
    by_console = await pending(client, cde_api, "12000")
    by_api = await pending(client, cde_api, "12000", observed_on=yesterday)
    hla = await consoles.open(CDE)

    page = await hla.get(f"/console/prices/{by_console}")
    assert page.status_code == 200, page.text
    sent = form_of(page)
    assert (sent["price"], sent["currency"], sent["unit"], sent["price_type"]) == (
        "12000",
        "CNY",
        "tonne",
        "wholesale",
    )
    corrected = await hla.post(
        f"/console/prices/{by_console}/correct",
        data={**sent, "price": "12500", "unit": "kg", "note": "typo: 12,000 was 12,500"},
    )
    assert corrected.status_code == 303, corrected.text
    assert corrected.headers["location"] == f"/console/prices/{by_console}?done=corrected"
    patched = await client.patch(
        f"/api/v1/prices/{by_api}",
        headers=cde_api,
        json={"price": "12500", "unit": "kg", "note": "typo: 12,000 was 12,500"},
    )
    assert patched.status_code == 200, patched.text

    stored = await price_row(database, by_console)
    assert stored.price == Decimal("12500") and stored.note == "typo: 12,000 was 12,500"
    [*_, console_entry] = await audit_rows(database, by_console)
    [*_, api_entry] = await audit_rows(database, by_api)
    assert console_entry.action == "price.correct"
    assert correction_of(console_entry) == correction_of(api_entry)
    assert set(correction_of(console_entry)["after"]) == {"price", "unit_id", "note"}

    shown = await hla.get(corrected.headers["location"])
    assert 'id="notice"' in shown.text and "The price is corrected" in shown.text
    assert form_of(shown)["price"] == "12500" and form_of(shown)["unit"] == "kg"
    history = shown.text.split('id="history-entries"')[1].split("</ol>")[0]
    entries = re.findall(r'<li id="version-(\d+)">', history)
    assert [int(e) for e in entries] == [
        r.id for r in reversed(await audit_rows(database, by_console))
    ]
    newest, *_, oldest = history.split('<li id="version-')[1:]
    assert "<strong>Corrected</strong> · hla" in newest
    assert '<span class="field">price</span>: 12000 → 12500' in newest
    assert "tonne (#" in newest and "kg (#" in newest  # the unit named, not only its id
    assert "Submitted" in oldest and "<details>" in oldest  # its values folded away


async def test_the_history_names_each_decision_newest_first(
    client: httpx.AsyncClient, cde_api: dict[str, str], tokens: Tokens, consoles: Consoles
) -> None:
    price_id = await pending(client, cde_api, "12000")
    await post(client, cde_api, f"/api/v1/prices/{price_id}/publish", {})
    fixed = await client.patch(
        f"/api/v1/prices/{price_id}", headers=cde_api, json={"price": "12100"}
    )
    assert fixed.status_code == 200
    await post(client, cde_api, f"/api/v1/prices/{price_id}/reject", {"reason": "wrong market"})
    page = await (await consoles.open(CDE)).get(f"/console/prices/{price_id}")
    history = page.text.split('id="history-entries"')[1].split("</ol>")[0]
    actions = re.findall(r'<p class="who"><strong>([^<]+)</strong>', history)
    assert actions == ["Rejected", "Corrected", "Published", "Submitted"]
    assert "wrong market" in history.split('<li id="version-')[1]
    assert 'id="correct-form"' not in page.text  # a rejected price is not corrected
    api = await client.get(f"/api/v1/prices/{price_id}/history", headers=tokens.cde_mm)
    assert re.findall(r'<li id="version-(\d+)">', history) == [str(e["id"]) for e in api.json()]


async def test_who_sees_the_form_and_the_history(
    client: httpx.AsyncClient, users: Users, tokens: Tokens, consoles: Consoles
) -> None:
    mm_id = await pending(client, tokens.cde_mm, "12000")
    viewer = await (await consoles.open(users.viewer_mm)).get(f"/console/prices/{mm_id}")
    assert viewer.status_code == 200
    assert 'id="correct-form"' not in viewer.text and 'id="history"' not in viewer.text
    admin = await (await consoles.open(users.admin)).get(f"/console/prices/{mm_id}")
    assert 'id="correct-form"' in admin.text and 'id="history"' in admin.text
    other = await (await consoles.open(users.cde_kh)).get(f"/console/prices/{mm_id}")
    assert other.status_code == 403 and 'id="correct-form"' not in other.text


BAD_INPUT = [
    # (what is typed over the form, the field marked, the message)
    ({"price": "1,500"}, "price", "without thousands separators"),
    ({"price": "abc"}, "price", "This is not a number"),
    ({"price": "-5"}, "price", "Write an amount above zero"),
    ({"price": "0"}, "price", "Write an amount above zero"),
    ({"price": ""}, "price", "Write the price."),
    ({"price": "1e20"}, "price", "Write an amount above zero"),
    ({"price_min": "13000"}, "form", "price_min 13000 is above the price"),
    ({"currency": "ZZZ"}, "currency", "MIC does not know this currency"),
    ({"currency": "yaun"}, "currency", "did you mean CNY?"),
    ({"currency": ""}, "currency", "Write the currency."),
    ({"unit": "sack"}, "unit", "Choose a unit from the list."),
    ({"price_type": "bulk"}, "price_type", "Choose a price type from the list."),
    ({"observed_on": "31/05/2026"}, "observed_on", "year-month-day"),
    ({"observed_on": ""}, "observed_on", "Write the day the price was observed."),
    ({"observed_on": "2999-01-01"}, "form", "is in the future"),
    ({"note": "x" * 501}, "note", "at most 500 characters"),
    ({}, "form", "Nothing to correct"),
    ({"version": ""}, "form", "This form is incomplete"),
]


@pytest.mark.parametrize(("typed", "marked", "message"), BAD_INPUT)
async def test_bad_input_is_answered_on_the_page_and_nothing_is_written(
    client: httpx.AsyncClient,
    database: Database,
    cde_api: dict[str, str],
    consoles: Consoles,
    typed: dict[str, str],
    marked: str,
    message: str,
) -> None:
    price_id = await pending(client, cde_api, "12000")
    before = await audit_rows(database, price_id)
    hla = await consoles.open(CDE)
    sent = form_of(await hla.get(f"/console/prices/{price_id}"), **typed)
    page = await hla.post(f"/console/prices/{price_id}/correct", data=sent)
    assert page.status_code == 422, page.text
    assert 'id="correction-error"' in page.text
    assert '<details id="correct" class="fold" open>' in page.text  # the form unfolded
    if marked == "form":
        assert message in html.unescape(
            page.text.split('id="correction-error"')[1].split("</p>")[0]
        )
    else:
        problem = page.text.split(f'id="c-{marked}-error">')[1].split("</p>")[0]
        assert message in html.unescape(problem)
        field = re.search(rf'<(?:input|select|textarea) id="c-{marked}"[^>]*>', page.text)
        assert field is not None and 'aria-invalid="true"' in field.group(0)
        assert f"c-{marked}-error" in field.group(0)  # read out with the field
    kept = form_of(page)
    for name, value in typed.items():
        if name not in ("version", "note"):
            assert kept[name] == value, name  # what was typed is there to fix
    assert await audit_rows(database, price_id) == before
    assert (await price_row(database, price_id)).price == Decimal("12000")


async def test_outside_ones_countries_without_a_role_or_a_token_nothing_changes(
    client: httpx.AsyncClient,
    database: Database,
    users: Users,
    cde_api: dict[str, str],
    tokens: Tokens,
    consoles: Consoles,
) -> None:
    kh_id = (await post(client, tokens.cde_kh, "/api/v1/prices", price_body("KH", "151000")))["id"]
    mm_id = await pending(client, cde_api, "12000")
    hla = await consoles.open(CDE)
    page = await hla.get(f"/console/prices/{mm_id}")
    sent = form_of(page, price="12500")

    outside = await hla.post(f"/console/prices/{kh_id}/correct", data=sent)
    assert outside.status_code == 403 and "<html" in outside.text and "KH" in outside.text
    missing = await hla.post("/console/prices/99999999/correct", data=sent)
    assert missing.status_code == 404
    no_token = await hla.post(f"/console/prices/{mm_id}/correct", data={**sent, "csrf_token": ""})
    assert no_token.status_code == 403 and "expired" in no_token.text
    other_browser = await consoles.open(CDE)  # a session of its own: its token is not this one's
    await other_browser.get(f"/console/prices/{mm_id}")
    stale = await other_browser.post(f"/console/prices/{mm_id}/correct", data=sent)
    assert stale.status_code == 403 and "expired" in stale.text
    viewer = await consoles.open(users.viewer_mm)
    viewer_token = csrf_of(await viewer.get(f"/console/prices/{mm_id}"))
    refused = await viewer.post(
        f"/console/prices/{mm_id}/correct", data={**sent, "csrf_token": viewer_token}
    )
    assert refused.status_code == 403
    for price_id in (kh_id, mm_id):
        assert await actions_of(database, price_id) == ["price.create"]


async def test_an_implausible_correction_of_a_published_price_asks_for_confirmation(
    client: httpx.AsyncClient, database: Database, cde_api: dict[str, str], consoles: Consoles
) -> None:
    for value in ("12000", "12300", "11900", "12100", "12400"):
        await post(client, cde_api, "/api/v1/prices", price_body("MM", value, publish=True))
    published = await post(
        client, cde_api, "/api/v1/prices", price_body("MM", "12150", publish=True)
    )
    price_id = published["id"]
    hla = await consoles.open(CDE)
    page = await hla.get(f"/console/prices/{price_id}")
    assert 'id="c-confirm-outlier"' not in page.text
    refused = await hla.post(
        f"/console/prices/{price_id}/correct", data=form_of(page, price="40000")
    )
    assert refused.status_code == 422
    said = refused.text.split('id="correction-error"')[1].split("</p>")[0]
    assert "median 12,100 of the 5 prices" in said and "The price is right" in said
    assert 'id="c-confirm-outlier"' in refused.text and form_of(refused)["price"] == "40000"
    assert (await price_row(database, price_id)).price == Decimal("12150")

    confirmed = await hla.post(
        f"/console/prices/{price_id}/correct",
        data={**form_of(refused), "confirm_outlier": "yes"},
    )
    assert confirmed.status_code == 303, confirmed.text
    stored = await price_row(database, price_id)
    assert stored.price == Decimal("40000") and stored.outlier


async def test_two_tabs_correcting_one_price_never_overwrite_unseen(
    client: httpx.AsyncClient, database: Database, cde_api: dict[str, str], consoles: Consoles
) -> None:
    price_id = await pending(client, cde_api, "12000")
    hla = await consoles.open(CDE)
    first = form_of(await hla.get(f"/console/prices/{price_id}"), price="12500")
    second = form_of(await hla.get(f"/console/prices/{price_id}"), price="13000")

    assert (await hla.post(f"/console/prices/{price_id}/correct", data=first)).status_code == 303
    late = await hla.post(f"/console/prices/{price_id}/correct", data=second)
    assert late.status_code == 409
    assert "changed after you opened this page" in late.text
    facts = late.text.split('id="price-facts"')[1].split("</dl>")[0]
    assert "12,500" in facts  # the price as it now is
    assert "12000 → 12500" in late.text.split('<li id="version-')[1]
    again = form_of(late)
    assert again["price"] == "13000" and again["version"] != second["version"]
    assert (await price_row(database, price_id)).price == Decimal("12500")
    # Sent again with the other change in sight, it is a correction like any other.
    resent = await hla.post(f"/console/prices/{price_id}/correct", data=again)
    assert resent.status_code == 303
    assert (await price_row(database, price_id)).price == Decimal("13000")
    assert await actions_of(database, price_id) == [
        "price.create",
        "price.correct",
        "price.correct",
    ]


async def test_two_tabs_sending_at_the_same_moment_save_one_correction(
    client: httpx.AsyncClient, database: Database, cde_api: dict[str, str], consoles: Consoles
) -> None:
    price_id = await pending(client, cde_api, "12000")
    hla = await consoles.open(CDE)
    page = await hla.get(f"/console/prices/{price_id}")
    answers = await asyncio.gather(
        *(
            hla.post(f"/console/prices/{price_id}/correct", data=form_of(page, price=value))
            for value in ("12500", "13000")
        )
    )
    assert sorted(a.status_code for a in answers) == [303, 409]
    saved = next(
        v for v, a in zip(("12500", "13000"), answers, strict=True) if a.status_code == 303
    )
    assert (await price_row(database, price_id)).price == Decimal(saved)
    assert await actions_of(database, price_id) == [
        "price.create",
        "price.correct",
    ]


async def test_a_price_rejected_meanwhile_is_not_corrected(
    client: httpx.AsyncClient, database: Database, cde_api: dict[str, str], consoles: Consoles
) -> None:
    price_id = await pending(client, cde_api, "12000")
    hla = await consoles.open(CDE)
    sent = form_of(await hla.get(f"/console/prices/{price_id}"), price="12500")
    await post(client, cde_api, f"/api/v1/prices/{price_id}/reject", {"reason": "duplicate"})
    refused = await hla.post(f"/console/prices/{price_id}/correct", data=sent)
    assert refused.status_code == 409 and "the price is rejected" in refused.text
    assert (await price_row(database, price_id)).price == Decimal("12000")


async def test_a_correction_that_would_repeat_another_price_names_it(
    client: httpx.AsyncClient, database: Database, cde_api: dict[str, str], consoles: Consoles
) -> None:
    price_id = await pending(client, cde_api, "12000")
    twin = await pending(client, cde_api, "12500")
    hla = await consoles.open(CDE)
    sent = form_of(await hla.get(f"/console/prices/{price_id}"), price="12500")
    refused = await hla.post(f"/console/prices/{price_id}/correct", data=sent)
    assert refused.status_code == 409
    said = refused.text.split('id="correction-error"')[1].split("</p>")[0]
    assert f"same observation as price {twin}" in said
    assert f'href="/console/prices/{twin}" id="twin"' in said
    assert form_of(refused)["price"] == "12500"
    assert await actions_of(database, price_id) == ["price.create"]
