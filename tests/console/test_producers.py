"""The producers pages: list, search, filters, paging, export, a producer's page with their
messages, and every change (register, edit, stop, consent, erase, import) by role and with bad
input."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import AuditLog
from app.commands.models import InboundMessage
from app.core.config import Settings
from app.core.db import Database
from app.core.i18n import console_translator
from app.producers.models import Producer, ProducerStatus
from tests.console.conftest import Users, csrf_of, sign_in
from tests.console.producer_data import MM_PHONE, Seeded, add_producer, seed_conversations

# The MM CDE reads the console in Burmese: what the pages tell them, in their words.
BURMESE = console_translator("my").gettext


@pytest.fixture
async def seeded_data(database: Database, settings: Settings, users: Users) -> Seeded:
    return await seed_conversations(database, settings)


async def _post(
    client: httpx.AsyncClient, page_path: str, action: str, data: dict[str, str]
) -> httpx.Response:
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={**data, "csrf_token": csrf_of(page)})


async def test_a_cde_finds_a_producer_by_phone_and_reads_their_messages(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_mm)
    found = await client.get("/console/producers", params={"q": "09 250 123 789"})
    assert found.status_code == 200
    assert "Daw Khin Myo" in found.text and MM_PHONE in found.text
    page = await client.get(f"/console/producers/{seeded_data.mm}")
    assert page.status_code == 200
    text = page.text
    assert "PRICE MANGO call me +959250999888" in text  # a CDE of MM sees it whole
    assert "unknown subscriber" in text and "mango" in text
    # Newest first: the last reply before the first, the inbound message (older) after both.
    assert text.index("(reply 3)") < text.index("(reply 0)") < text.index("PRICE MANGO")


async def test_search_by_telegram_chat_and_by_name(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    by_chat = await client.get("/console/producers", params={"q": "555123456"})
    assert "Daw Khin Myo" in by_chat.text and "Sok Dara" not in by_chat.text
    by_name = await client.get("/console/producers", params={"q": "sok"})
    assert "Sok Dara" in by_name.text and "Daw Khin Myo" not in by_name.text


async def test_filters_by_country_commodity_market_and_status(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    mango = await client.get("/console/producers", params={"commodity": "mango", "market": ""})
    assert "Daw Khin Myo" in mango.text and "Sok Dara" not in mango.text
    kh = await client.get("/console/producers", params={"country": "KH"})
    assert "Sok Dara" in kh.text and "Daw Khin Myo" not in kh.text
    stopped = await client.get("/console/producers", params={"status": "stopped"})
    assert "Sok Dara" not in stopped.text and "No producer matches." in stopped.text
    bad = await client.get("/console/producers", params={"status": "sleeping"})
    assert bad.status_code == 422 and "<html" in bad.text
    unknown = await client.get("/console/producers", params={"commodity": "unobtainium"})
    assert unknown.status_code == 422 and "unobtainium" in unknown.text


async def test_the_list_is_paged(
    client: httpx.AsyncClient, users: Users, database: Database, seeded: None
) -> None:
    ids = [
        await add_producer(database, f"Grower {n:02}", "MM", f"+9592501{n:05}") for n in range(30)
    ]
    await sign_in(client, users.cde_mm)
    first = await client.get("/console/producers")
    assert "Grower 29" in first.text and "Grower 04" not in first.text
    assert f"cursor={ids[5]}" in first.text
    second = await client.get("/console/producers", params={"cursor": ids[5]})
    assert "Grower 04" in second.text and "Grower 29" not in second.text
    assert "cursor=" not in second.text


async def test_a_cde_of_another_country_is_refused(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_kh)
    page = await client.get(f"/console/producers/{seeded_data.mm}")
    assert page.status_code == 403 and "<html" in page.text
    listed = await client.get("/console/producers")
    assert "Sok Dara" in listed.text and "Daw Khin Myo" not in listed.text
    foreign = await client.get("/console/producers", params={"country": "MM"})
    assert foreign.status_code == 403
    missing = await client.get("/console/producers/999999")
    assert missing.status_code == 404 and "<html" in missing.text


async def test_a_viewer_sees_phones_and_messages_masked_and_no_forms(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.viewer_mm)
    page = await client.get(f"/console/producers/{seeded_data.mm}")
    assert page.status_code == 200
    assert MM_PHONE not in page.text and "+959250999888" not in page.text
    assert "+95 9•••••789" in page.text or "+95 9" in page.text
    assert "555123456" not in page.text
    assert "/erase" not in page.text and "/stop" not in page.text
    # A search by phone would unmask it: a viewer's search reads names only.
    by_phone = await client.get("/console/producers", params={"q": "09 250 123 789"})
    assert "Daw Khin Myo" not in by_phone.text
    for path in ("/console/producers/new", f"/console/producers/{seeded_data.mm}/erase"):
        assert (await client.get(path)).status_code == 403


async def test_messages_are_paged_newest_first(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    async with database.session() as session:
        for n in range(30):
            session.add(
                InboundMessage(
                    urn=f"tel:{MM_PHONE}",
                    channel="sms",
                    text=f"hello {n:02}",
                    producer_id=seeded_data.mm,
                )
            )
    await sign_in(client, users.admin)
    first = await client.get(f"/console/producers/{seeded_data.mm}")
    assert "hello 29" in first.text and "hello 04" not in first.text
    cursor = first.text.split("?messages=")[1].split("#")[0]
    second = await client.get(f"/console/producers/{seeded_data.mm}", params={"messages": cursor})
    text = second.text
    for n in range(5):
        assert f"hello {n:02}" in text
    assert "hello 29" not in text and "(reply 3)" in text and "PRICE MANGO" in text
    assert "?messages=" not in text
    bad = await client.get(f"/console/producers/{seeded_data.mm}", params={"messages": "x"})
    assert bad.status_code == 422


async def test_register_edit_stop_consent(
    client: httpx.AsyncClient, users: Users, database: Database, seeded: None
) -> None:
    await sign_in(client, users.cde_mm)
    created = await _post(
        client,
        "/console/producers/new",
        "/console/producers/new",
        {
            "name": "U Aung",
            "country": "MM",
            "kind": "fisher",
            "phone": "09 250 555 111",
            "telegram_chat_id": "",
            "locale": "",
            "consent_channel": "verbal",
        },
    )
    assert created.status_code == 303, created.text
    path = created.headers["location"].split("?")[0]
    page = await client.get(created.headers["location"])
    assert "U Aung" in page.text and "+959250555111" in page.text
    edited = await _post(
        client,
        f"{path}/edit",
        f"{path}/edit",
        {
            "name": "U Aung Min",
            "kind": "fisher",
            "phone": "+959250555111",
            "telegram_chat_id": "",
            "locale": "my",
            "quiet_hours": "22:00-05:00",
            "daily_cap": "3",
        },
    )
    assert edited.status_code == 303, edited.text
    stopped = await _post(client, path, f"{path}/stop", {"channel": "sms"})
    assert stopped.status_code == 303
    producer_id = int(path.rsplit("/", 1)[1])
    async with database.read_session() as session:
        producer = await session.get(Producer, producer_id)
        assert producer is not None
        assert (producer.name, producer.quiet_hours, producer.daily_cap) == (
            "U Aung Min",
            "22:00-05:00",
            3,
        )
        assert producer.status is ProducerStatus.STOPPED
    consented = await _post(client, path, f"{path}/consent", {"channel": "paper"})
    assert consented.status_code == 303
    async with database.read_session() as session:
        producer = await session.get(Producer, producer_id)
        assert producer is not None and producer.status is ProducerStatus.ACTIVE
        actions = (
            await session.exec(select(AuditLog.action).where(AuditLog.entity_id == producer_id))
        ).all()
    assert {
        "producer.create.api",
        "producer.update",
        "producer.stop.sms",
        "producer.consent",
    } <= set(actions)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "phone": "09 250 555 111"}, "name"),
        ({"name": "Ko Ko", "phone": ""}, "needs a phone or a telegram_chat_id"),
        ({"name": "Ko Ko", "phone": "12"}, "phone"),
        ({"name": "Ko Ko", "phone": "09 250 555 111", "kind": "astronaut"}, "kind"),
        ({"name": "Ko Ko", "phone": "09 250 555 111", "consent_channel": "pigeon"}, "consent"),
    ],
)
async def test_bad_registrations_say_why_and_save_nothing(
    client: httpx.AsyncClient,
    users: Users,
    database: Database,
    seeded: None,
    fields: dict[str, str],
    message: str,
) -> None:
    await sign_in(client, users.cde_mm)
    data = {
        "country": "MM",
        "kind": "farmer",
        "telegram_chat_id": "",
        "locale": "",
        "consent_channel": "",
    }
    refused = await _post(
        client, "/console/producers/new", "/console/producers/new", {**data, **fields}
    )
    assert refused.status_code == 422
    assert BURMESE("Nothing was saved. Correct this and send the form again:") in refused.text
    assert message in refused.text
    async with database.read_session() as session:
        assert (await session.exec(select(Producer))).all() == []


async def test_a_duplicate_phone_is_refused_on_the_form(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_mm)
    refused = await _post(
        client,
        "/console/producers/new",
        "/console/producers/new",
        {
            "name": "Twin",
            "country": "MM",
            "kind": "farmer",
            "phone": MM_PHONE,
            "consent_channel": "",
        },
    )
    assert refused.status_code == 422
    assert BURMESE("Nothing was saved. Correct this and send the form again:") in refused.text


async def test_a_cde_cannot_register_in_another_country(
    client: httpx.AsyncClient, users: Users, database: Database, seeded: None
) -> None:
    await sign_in(client, users.cde_mm)
    refused = await _post(
        client,
        "/console/producers/new",
        "/console/producers/new",
        {"name": "Sok", "country": "KH", "kind": "farmer", "phone": "+85512345679"},
    )
    assert refused.status_code == 403
    async with database.read_session() as session:
        assert (await session.exec(select(Producer))).all() == []


async def test_bad_stop_and_consent_channels_change_nothing(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_mm)
    path = f"/console/producers/{seeded_data.mm}"
    assert (await _post(client, path, f"{path}/stop", {"channel": "pigeon"})).status_code == 422
    async with database.read_session() as session:
        producer = await session.get(Producer, seeded_data.mm)
        assert producer is not None and producer.status is ProducerStatus.ACTIVE


async def test_erasure_asks_for_confirmation(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.cde_mm)
    path = f"/console/producers/{seeded_data.mm}/erase"
    unconfirmed = await _post(client, path, path, {})
    assert unconfirmed.status_code == 422
    assert BURMESE("Tick the box to confirm the erasure.") in unconfirmed.text
    async with database.read_session() as session:
        assert await session.get(Producer, seeded_data.mm) is not None
    erased = await _post(client, path, path, {"confirm": "yes"})
    assert (erased.status_code, erased.headers["location"]) == (303, "/console/producers?erased=1")
    async with database.read_session() as session:
        assert await session.get(Producer, seeded_data.mm) is None
        left = (
            await session.exec(
                select(InboundMessage).where(col(InboundMessage.producer_id) == seeded_data.mm)
            )
        ).all()
        assert left == []
    assert (await client.get(f"/console/producers/{seeded_data.mm}")).status_code == 404


async def test_forms_without_a_valid_csrf_token_change_nothing(
    client: httpx.AsyncClient, users: Users, database: Database, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    path = f"/console/producers/{seeded_data.mm}"
    for data in ({"confirm": "yes"}, {"confirm": "yes", "csrf_token": "stale"}):
        refused = await client.post(f"{path}/erase", data=data)
        assert refused.status_code == 403 and "This form has expired" in refused.text
    refused = await client.post(f"{path}/stop", data={"channel": "sms", "csrf_token": "x"})
    assert refused.status_code == 403
    async with database.read_session() as session:
        producer = await session.get(Producer, seeded_data.mm)
        assert producer is not None and producer.status is ProducerStatus.ACTIVE


async def test_export_is_the_filtered_list(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.admin)
    exported = await client.get("/console/producers/export", params={"country": "MM"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("name,country,kind,phone")
    assert "Daw Khin Myo" in text and MM_PHONE in text and "mango@muse" in text
    assert "Sok Dara" not in text


async def test_a_viewer_exports_masked_phones(
    client: httpx.AsyncClient, users: Users, seeded_data: Seeded
) -> None:
    await sign_in(client, users.viewer_mm)
    text = (await client.get("/console/producers/export")).content.decode("utf-8-sig")
    assert "Daw Khin Myo" in text and MM_PHONE not in text and "Sok Dara" not in text


CSV = (
    "name,country,kind,phone,consent_channel\n"
    "Daw Hla,MM,farmer,09 250 777 001,paper\n"
    "Nobody,MM,farmer,,paper\n"
    "U Ba,MM,astronaut,09 250 777 002,paper\n"
    "Daw Mya,MM,weaver,09 250 777 003,verbal\n"
)


async def test_import_reports_each_line(
    client: httpx.AsyncClient, users: Users, database: Database, seeded: None
) -> None:
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/producers/import")
    imported = await client.post(
        "/console/producers/import",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("growers.csv", CSV.encode(), "text/csv")},
    )
    assert imported.status_code == 200, imported.text
    assert BURMESE("Registered: %(count)s.") % {"count": "2"} in imported.text
    assert BURMESE("Refused: %(count)s.") % {"count": "2"} in imported.text
    async with database.read_session() as session:
        names = set((await session.exec(select(Producer.name))).all())
    assert names == {"Daw Hla", "Daw Mya"}


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"", 422, "The file could not be imported, nothing was saved:"),
        (b"name,kind\nA,farmer\n", 422, "The file could not be imported, nothing was saved:"),
        (b"\x00\x01\x02binary", 422, "The file could not be imported, nothing was saved:"),
    ],
)
async def test_a_bad_file_is_refused_whole(
    client: httpx.AsyncClient,
    users: Users,
    database: Database,
    seeded: None,
    content: bytes,
    status: int,
    message: str,
) -> None:
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/producers/import")
    refused = await client.post(
        "/console/producers/import",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("bad.csv", content, "text/csv")},
    )
    assert refused.status_code == status and BURMESE(message) in refused.text
    async with database.read_session() as session:
        assert (await session.exec(select(Producer))).all() == []


async def test_an_import_without_a_file_says_so(client: httpx.AsyncClient, users: Users) -> None:
    await sign_in(client, users.cde_mm)
    page = await client.get("/console/producers/import")
    refused = await client.post("/console/producers/import", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 422 and BURMESE("Choose a CSV file to import.") in refused.text


async def test_an_upload_over_ten_megabytes_is_refused_with_a_page(
    client: httpx.AsyncClient, users: Users, database: Database, seeded: None
) -> None:
    await sign_in(client, users.admin)
    page = await client.get("/console/producers/import")
    big = b"name,country,kind,phone\n" + b"x" * 10_100_000
    refused = await client.post(
        "/console/producers/import",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("big.csv", big, "text/csv")},
    )
    assert refused.status_code == 413
    assert "<html" in refused.text and "larger than MIC accepts" in refused.text
    async with database.read_session() as session:
        assert (await session.exec(select(Producer))).all() == []
