"""The Audit page: filtered by who, what, record and days, a page at a time, each entry read as
the fields it changed with the records it names; refused to viewers, scoped for CDEs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest

from app.accounts.models import AuditLog, AuditPublic
from app.catalogue.service import load_index
from app.console.changes import Names, readable
from app.core.db import Database
from app.producers.models import Producer, ProducerKind
from tests.console.conftest import Users, sign_in

DAY = dt.datetime(2026, 5, 10, 9, 30, tzinfo=dt.UTC)
_ENTRY = re.compile(r'<p class="who">')


def entries_on(page: httpx.Response) -> int:
    return len(_ENTRY.findall(page.text))


async def _log(database: Database, *entries: dict[str, Any]) -> None:
    async with database.session() as session:
        for fields in entries:
            session.add(AuditLog(**{"country_code": "MM", "entity_id": 1, **fields}))


async def _ids(database: Database) -> tuple[int, int, int]:
    """Mango's and Muse's catalogue ids, and a Myanmar producer's."""
    async with database.session() as session:
        index = await load_index(session)
        producer = Producer(
            name="Daw Khin Myo", country_code="MM", locale="my", kind=ProducerKind.FARMER
        )
        session.add(producer)
        await session.flush()
        assert producer.id is not None
        mango = next(i for i, c in index.commodity_by_id.items() if c.slug == "mango")
        muse = next(i for i, m in index.market_by_id.items() if m.slug == "muse")
        return mango, muse, producer.id


async def test_a_price_correction_reads_as_its_field_changes_with_names(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    mango, muse, producer = await _ids(database)
    price = {"commodity_id": mango, "market_id": muse, "producer_id": producer, "price": "3200"}
    await _log(
        database,
        {
            "at": DAY,
            "actor": users.cde_mm,
            "action": "price.correct",
            "entity": "price",
            "entity_id": 41,
            "before": {**price, "updated_at": "2026-05-01T00:00:00"},
            "after": {**price, "price": "3400", "updated_at": "2026-05-10T09:30:00"},
        },
    )
    await sign_in(client, users.admin)
    page = await client.get("/console/audit")
    assert page.status_code == 200
    assert '<span class="field">price</span>: 3200 → 3400' in page.text
    assert "updated_at" not in page.text  # touched by every change, so not listed
    assert "commodity_id" not in page.text  # unchanged fields are not listed
    assert "price.correct" in page.text and "price #41" in page.text and users.cde_mm in page.text


async def test_a_new_record_names_what_its_ids_point_at(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    mango, muse, producer = await _ids(database)
    await _log(
        database,
        {
            "at": DAY,
            "actor": "source:muse-board",
            "action": "price.create",
            "entity": "price",
            "after": {"commodity_id": mango, "market_id": muse, "producer_id": producer},
        },
        {
            "at": DAY,
            "actor": "ana",
            "action": "producer.update",
            "entity": "producer",
            "entity_id": producer,
            "before": {"status": "active"},
            "after": {"status": "stopped"},
        },
    )
    await sign_in(client, users.admin)
    page = await client.get("/console/audit")
    assert f"Mango (#{mango})" in page.text
    assert f"Muse (#{muse})" in page.text
    assert f"Daw Khin Myo (#{producer})" in page.text
    assert f"producer #{producer} (Daw Khin Myo)" in page.text
    assert "active → stopped" in page.text


async def test_filters_by_who_what_record_and_days(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    await _log(
        database,
        {"at": DAY, "actor": "thida", "action": "price.publish", "entity": "price", "entity_id": 7},
        {"at": DAY, "actor": "thida", "action": "notice.send", "entity": "notice", "entity_id": 8},
        {
            "at": DAY - dt.timedelta(days=3),
            "actor": "ana",
            "action": "price.publish",
            "entity": "price",
            "entity_id": 9,
        },
        {
            "at": DAY + dt.timedelta(days=1),
            "actor": "ana",
            "action": "price.reject",
            "entity": "price",
            "entity_id": 7,
        },
    )
    await sign_in(client, users.admin)

    async def shown(**query: str) -> list[tuple[str, str]]:
        page = await client.get("/console/audit", params=query)
        assert page.status_code == 200, page.text
        return re.findall(r"<code>([a-z_.]+)</code> · [a-z_]+ #(\d+)", page.text)

    assert await shown(actor="thida") == [("notice.send", "8"), ("price.publish", "7")]
    # Newest written first, as the API lists them.
    assert await shown(action="price.publish") == [("price.publish", "9"), ("price.publish", "7")]
    assert await shown(entity="price", entity_id="7") == [
        ("price.reject", "7"),
        ("price.publish", "7"),
    ]
    assert await shown(**{"from": "2026-05-10", "to": "2026-05-10"}) == [
        ("notice.send", "8"),
        ("price.publish", "7"),
    ]
    assert await shown(**{"from": "2026-05-11", "to": "2026-05-11"}) == [("price.reject", "7")]
    assert await shown(**{"to": "2026-05-07"}) == [("price.publish", "9")]
    assert await shown(actor="nobody") == []


async def test_older_entries_are_a_page_further(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    await _log(
        database,
        *(
            {
                "at": DAY,
                "actor": "thida",
                "action": "price.publish",
                "entity": "price",
                "entity_id": n,
            }
            for n in range(1, 61)
        ),
    )
    await sign_in(client, users.admin)
    first = await client.get("/console/audit", params={"actor": "thida"})
    assert entries_on(first) == 50
    assert "price #60 ·" in first.text and "price #10 ·" not in first.text
    older = re.search(r'<a href="(/console/audit\?[^"]+)">Older</a>', first.text)
    assert older is not None
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert entries_on(second) == 10 and "price #10 ·" in second.text and "price #1 ·" in second.text
    assert "Older</a>" not in second.text and "Newest</a>" in second.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "10/05/2026"}, "Write the days as year-month-day"),
        ({"to": "2026-02-30"}, "Write the days as year-month-day"),
        ({"from": "2026-05-11", "to": "2026-05-10"}, "The first day must not come after"),
    ],
)
async def test_bad_days_say_why_and_list_nothing(
    client: httpx.AsyncClient,
    users: Users,
    database: Database,
    query: dict[str, str],
    message: str,
) -> None:
    await _log(database, {"at": DAY, "actor": "ana", "action": "price.publish", "entity": "price"})
    await sign_in(client, users.admin)
    page = await client.get("/console/audit", params=query)
    assert page.status_code == 422 and message in page.text and entries_on(page) == 0


async def test_a_bad_record_number_is_a_page_not_a_500(
    client: httpx.AsyncClient, users: Users
) -> None:
    await sign_in(client, users.admin)
    page = await client.get("/console/audit", params={"entity_id": "abc"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")


async def test_cdes_see_their_countries_and_viewers_nothing(
    client: httpx.AsyncClient, users: Users, database: Database
) -> None:
    await _log(
        database,
        {"at": DAY, "actor": "ana", "action": "price.publish", "entity": "price", "entity_id": 1},
        {
            "at": DAY,
            "actor": "ana",
            "action": "price.publish",
            "entity": "price",
            "entity_id": 2,
            "country_code": "KH",
        },
    )
    await sign_in(client, users.cde_kh)
    page = await client.get("/console/audit")
    assert page.status_code == 200 and "price #2 ·" in page.text and "price #1 ·" not in page.text
    assert 'href="/console/audit"' in page.text
    page = await client.get("/console/account")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    await client.post("/console/sign-out", data={"csrf_token": token.group(1)})
    await sign_in(client, users.viewer_mm)
    refused = await client.get("/console/audit")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    account = await client.get("/console/account")
    assert 'href="/console/audit"' not in account.text


def test_phone_numbers_are_masked_for_a_reader_without_the_right_to_them() -> None:
    entry = AuditPublic(
        id=1,
        at=DAY,
        actor="tel:+959250123456",
        action="producer.create",
        entity="producer",
        entity_id=3,
        country="MM",
        before=None,
        after={"phone": "+959250123456", "name": "Daw Khin Myo"},
    )
    hidden = readable(entry, Names({}), personal_data=False)
    assert "+959250123456" not in hidden.actor
    assert [c.after for c in hidden.changes if c.field == "phone"] == ["+959••••••456"]
    shown = readable(entry, Names({}), personal_data=True)
    assert [c.after for c in shown.changes if c.field == "phone"] == ["+959250123456"]
    assert shown.subject == "Daw Khin Myo" and shown.changes[0].before is None


async def test_the_api_filters_by_who_what_and_until(
    client: httpx.AsyncClient, database: Database, tokens: Any
) -> None:
    await _log(
        database,
        {"at": DAY, "actor": "thida", "action": "price.publish", "entity": "price", "entity_id": 7},
        {
            "at": DAY + dt.timedelta(days=2),
            "actor": "thida",
            "action": "price.reject",
            "entity": "price",
            "entity_id": 7,
        },
        {"at": DAY, "actor": "ana", "action": "price.publish", "entity": "price", "entity_id": 8},
    )
    answer = await client.get(
        "/api/v1/audit",
        headers=tokens.admin,
        params={"actor": "thida", "action": "price.publish", "until": "2026-05-11T00:00:00Z"},
    )
    assert answer.status_code == 200, answer.text
    assert [(e["actor"], e["entity_id"]) for e in answer.json()["items"]] == [("thida", 7)]
