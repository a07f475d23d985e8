"""Producers: reachable, deduplicated, scoped, masked for viewers, messaged only with consent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.alerts.models import Delivery, DeliveryStatus
from app.commands.models import InboundMessage
from app.core.db import Database
from app.core.masking import mask_phone
from app.producers.self_service import register_from_message
from tests.alerts.conftest import publish, register
from tests.conftest import Tokens


def farmer(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Daw Khin Myo",
        "country": "MM",
        "phone": "09 250 123 789",
        "kind": "farmer",
        "consent": {"channel": "paper"},
    }
    return {**body, **overrides}


def test_masking() -> None:
    assert mask_phone("+959250123789") == "+95 9••••••789"


async def test_create_read_update_delete(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await client.post(
        "/api/v1/producers", headers=tokens.cde_mm, json=farmer(telegram_chat_id=555123)
    )
    assert created.status_code == 201, created.text
    p = created.json()
    assert (p["phone"], p["telegram_chat_id"], p["locale"], p["status"]) == (
        "+959250123789",
        555123,
        "my",
        "active",
    )
    assert p["consent_channel"] == "paper" and p["consent_at"]
    updated = await client.patch(
        f"/api/v1/producers/{p['id']}",
        headers=tokens.cde_mm,
        json={"script": "zawgyi", "digits": "native", "quiet_hours": "20:00-05:30", "phone": None},
    )
    assert updated.status_code == 200, updated.text
    u = updated.json()
    assert (u["script"], u["digits"], u["quiet_hours"], u["phone"]) == (
        "zawgyi",
        "native",
        "20:00-05:30",
        None,
    )
    assert (
        await client.delete(f"/api/v1/producers/{p['id']}", headers=tokens.cde_mm)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/producers/{p['id']}", headers=tokens.cde_mm)
    ).status_code == 404


async def test_duplicates_are_refused_naming_the_existing_producer(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    first = (await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())).json()
    again = await client.post(
        "/api/v1/producers",
        headers=tokens.cde_mm,
        json=farmer(name="U Aung", phone="+959250123789"),
    )
    assert again.status_code == 409
    assert (
        again.json()["detail"]
        == f"tel:+959250123789 already belongs to producer {first['id']} (Daw Khin Myo)"
    )


async def test_a_number_registered_in_another_country_is_not_named(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    cambodian = farmer(
        name="KH Farmer Audit", country="KH", phone="012 345 678", telegram_chat_id=4242
    )
    created = await client.post("/api/v1/producers", headers=tokens.cde_kh, json=cambodian)
    assert created.status_code == 201, created.text
    mine = await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())
    assert mine.status_code == 201, mine.text

    # A Cambodian number is not a Myanmar producer's: refused for what it is, naming no one.
    for attempt in (
        client.post(
            "/api/v1/producers", headers=tokens.cde_mm, json=farmer(phone="+855 12 345 678")
        ),
        client.patch(
            f"/api/v1/producers/{mine.json()['id']}",
            headers=tokens.cde_mm,
            json={"phone": "+85512345678"},
        ),
    ):
        response = await attempt
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == "+85512345678 is a KH number, producer is in MM"
    # A Telegram chat has no country: the clash is told without saying whose it is.
    chat = await client.post(
        "/api/v1/producers", headers=tokens.cde_mm, json=farmer(phone=None, telegram_chat_id=4242)
    )
    assert chat.status_code == 409, chat.text
    assert chat.json()["detail"] == "telegram:4242 is already registered elsewhere"
    as_admin = await client.post(
        "/api/v1/producers",
        headers=tokens.admin,
        json=farmer(country="KH", phone="+85512345678", locale="km"),
    )
    assert as_admin.json()["detail"] == (
        f"tel:+85512345678 already belongs to producer {created.json()['id']} (KH Farmer Audit)"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12"}, "is not a valid MM number"),
        ({"phone": None}, "needs a phone or a telegram_chat_id"),
        ({"country": "TH"}, "unknown country 'TH'"),
        ({"phone": "12345"}, "phone '12345' is not a valid Myanmar mobile number"),
        ({"phone": "+1 415 555 0123"}, "+14155550123 is a US number, producer is in MM"),
        ({"locale": "fr"}, "unknown locale 'fr'"),
        ({"quiet_hours": "9pm-6am"}, "quiet_hours is HH:MM-HH:MM"),
        ({"kind": "astronaut"}, "kind"),
        ({"name": "x" * 10_000}, "name"),
    ],
)
async def test_bad_producers_get_a_clear_422(
    client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any], message: str
) -> None:
    response = await client.post(
        "/api/v1/producers", headers=tokens.cde_mm, json=farmer(**overrides)
    )
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])


async def test_scope_and_masking(client: httpx.AsyncClient, tokens: Tokens) -> None:
    kh = (
        await client.post(
            "/api/v1/producers",
            headers=tokens.cde_kh,
            json=farmer(country="KH", phone="012 345 678", kind="weaver"),
        )
    ).json()
    mm = (await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())).json()
    refused = await client.get(f"/api/v1/producers/{kh['id']}", headers=tokens.cde_mm)
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"producer {kh['id']} is in KH; your token covers MM"
    assert (
        await client.patch(
            f"/api/v1/producers/{kh['id']}", headers=tokens.cde_mm, json={"kind": "trader"}
        )
    ).status_code == 403
    assert (
        await client.post(
            "/api/v1/producers",
            headers=tokens.cde_mm,
            json=farmer(country="KH", phone="012 345 679"),
        )
    ).status_code == 403
    listed = (await client.get("/api/v1/producers", headers=tokens.cde_mm)).json()["items"]
    assert [p["id"] for p in listed] == [mm["id"]]
    seen_by_viewer = (
        await client.get(f"/api/v1/producers/{mm['id']}", headers=tokens.viewer_mm)
    ).json()
    assert seen_by_viewer["phone"] == "+95 9••••••789"
    assert (
        await client.post(
            "/api/v1/producers", headers=tokens.viewer_mm, json=farmer(phone="09 987 654 321")
        )
    ).status_code == 403


async def test_opted_out_producers_need_a_new_consent(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    p = (await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())).json()
    sub = {"commodity": "mango", "market": "muse", "rule": "change_pct", "threshold": "10"}
    created = await client.post(
        f"/api/v1/producers/{p['id']}/subscriptions", headers=tokens.cde_mm, json=sub
    )
    assert created.status_code == 201, created.text
    assert created.json()["market"] == "muse"
    stopped = await client.post(
        f"/api/v1/producers/{p['id']}/stop", headers=tokens.cde_mm, json={"channel": "sms"}
    )
    assert stopped.json()["status"] == "stopped"
    refused = await client.post(
        f"/api/v1/producers/{p['id']}/subscriptions",
        headers=tokens.cde_mm,
        json={**sub, "rule": "every", "threshold": None},
    )
    assert refused.status_code == 409 and "record a new consent" in refused.json()["detail"]
    consent = await client.post(
        f"/api/v1/producers/{p['id']}/consent", headers=tokens.cde_mm, json={"channel": "verbal"}
    )
    assert consent.json()["status"] == "active" and consent.json()["consent_channel"] == "verbal"
    again = await client.post(
        f"/api/v1/producers/{p['id']}/subscriptions",
        headers=tokens.cde_mm,
        json={**sub, "rule": "every", "threshold": None},
    )
    assert again.status_code == 201


async def test_producers_without_consent_cannot_be_subscribed(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    p = (
        await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer(consent=None))
    ).json()
    r = await client.post(
        f"/api/v1/producers/{p['id']}/subscriptions",
        headers=tokens.cde_mm,
        json={"commodity": "mango"},
    )
    assert r.status_code == 409 and "not consented" in r.json()["detail"]


@pytest.mark.parametrize(
    ("sub", "message"),
    [
        ({"commodity": "mango", "rule": "above"}, "needs a positive threshold"),
        ({"commodity": "mango", "rule": "every", "threshold": "5"}, "takes no threshold"),
        ({"commodity": "mango", "rule": "digest"}, "needs digest_time"),
        ({"commodity": "gold"}, "unknown commodity 'gold'"),
    ],
)
async def test_bad_subscriptions(
    client: httpx.AsyncClient, tokens: Tokens, sub: dict[str, Any], message: str
) -> None:
    p = (await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())).json()
    r = await client.post(
        f"/api/v1/producers/{p['id']}/subscriptions", headers=tokens.cde_mm, json=sub
    )
    assert r.status_code == 422 and message in r.json()["detail"]


async def test_producer_import_reports_rows(client: httpx.AsyncClient, tokens: Tokens) -> None:
    content = "\n".join(
        [
            "name,country,kind,phone,locale,roles,consent_channel",
            "Daw Khin Myo,MM,farmer,09 250 123 789,my,reporter,paper",
            "U Aung,MM,fisher,09 12,my,,paper",
            "Ma Hla,MM,trader,09 250 123 789,my,,paper",
            "Ko Zaw,MM,fisher,09 765 432 198,my,reporter|trusted_reporter,verbal",
        ]
    )
    report = (
        await client.post(
            "/api/v1/producers/import",
            headers={**tokens.cde_mm, "Content-Type": "text/csv"},
            content=content,
        )
    ).json()
    assert report["accepted_count"] == 2
    errors = {r["line"]: r["error"] for r in report["rejected"]}
    assert "not a valid MM number" in errors[3]
    assert "already belongs to producer" in errors[4]
    ko = next(
        p
        for p in (await client.get("/api/v1/producers", headers=tokens.cde_mm)).json()["items"]
        if p["name"] == "Ko Zaw"
    )
    assert ko["roles"] == ["reporter", "trusted_reporter"]


async def test_erasing_a_producer_takes_them_out_of_earlier_audit_entries(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    async with database.session() as session:
        joined = await register_from_message(
            session, urn="tel:+959250123400", channel="sms", locale="my"
        )
        assert joined is not None and joined.id is not None
        producer_id = joined.id
        await session.commit()
    renamed = await client.patch(
        f"/api/v1/producers/{producer_id}",
        headers=tokens.cde_mm,
        json={"name": "Daw Nu Nu", "telegram_chat_id": 555123987},
    )
    assert renamed.status_code == 200, renamed.text
    neighbour = await client.post(
        "/api/v1/producers", headers=tokens.cde_mm, json=farmer(name="Daw Nu Nu Aye")
    )
    assert neighbour.status_code == 201, neighbour.text

    def entries(page: httpx.Response) -> str:
        return json.dumps(page.json()["items"], ensure_ascii=False)

    audit_url = "/api/v1/audit"
    before = entries(await client.get(audit_url, headers=tokens.admin))
    assert "+959250123400" in before and "Daw Nu Nu" in before

    erased = await client.delete(f"/api/v1/producers/{producer_id}", headers=tokens.cde_mm)
    assert erased.status_code == 204, erased.text

    after = await client.get(audit_url, headers=tokens.admin)
    written = entries(after)
    for personal in ("959250123400", '"Daw Nu Nu"', "555123987"):
        assert personal not in written
    assert '"Daw Nu Nu Aye"' in written  # someone else, whose name merely starts alike
    own = [
        e
        for e in after.json()["items"]
        if e["entity_id"] == producer_id and e["entity"] == "producer"
    ]
    assert [e["action"] for e in own] == [
        "producer.delete",
        "producer.update",
        "producer.join.sms",
    ]
    assert own[-1]["actor"] == f"producer:{producer_id}"
    assert own[-1]["after"]["name"] == "(erased)"


async def test_an_erased_producers_id_is_never_given_again(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    first = (await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())).json()
    assert (
        await client.delete(f"/api/v1/producers/{first['id']}", headers=tokens.cde_mm)
    ).status_code == 204

    second = await client.post(
        "/api/v1/producers",
        headers=tokens.cde_mm,
        json=farmer(name="U Hla", phone="09 250 000 111"),
    )

    assert second.status_code == 201, second.text
    assert second.json()["id"] > first["id"]


async def test_search_by_name_or_phone(client: httpx.AsyncClient, tokens: Tokens) -> None:
    people = [
        farmer(),  # Daw Khin Myo, 09 250 123 789
        farmer(name="U Aung Win", phone="09 791 234 567", kind="fisher"),
        farmer(name="Ma 50%_off", phone="09 450 000 111"),
    ]
    ids = []
    for body in people:
        created = await client.post("/api/v1/producers", headers=tokens.cde_mm, json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])

    async def found(q: str, headers: dict[str, str] = tokens.cde_mm) -> list[int]:
        response = await client.get("/api/v1/producers", headers=headers, params={"q": q})
        assert response.status_code == 200, response.text
        return sorted(p["id"] for p in response.json()["items"])

    assert await found("khin") == [ids[0]]
    assert await found("AUNG") == [ids[1]]
    assert await found("%") == [ids[2]]  # a literal percent sign, not a wildcard
    assert await found("09 791 234") == [ids[1]]
    assert await found("+959791234567") == [ids[1]]
    assert await found("၀၉ ၂၅၀ ၁၂၃") == [ids[0]]
    assert await found("nobody") == []
    # Viewers see phones masked: a number must not find who has it.
    assert await found("09 791 234", tokens.viewer_mm) == []
    assert await found("aung", tokens.viewer_mm) == [ids[1]]


async def test_an_unknown_producer_filter_is_refused_not_ignored(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await client.post("/api/v1/producers", headers=tokens.cde_mm, json=farmer())
    response = await client.get("/api/v1/producers?phone=0925", headers=tokens.cde_mm)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "phone"]
    assert error["msg"].startswith("unknown query parameter 'phone' (this endpoint takes ")
    assert "q" in error["msg"].split("takes ")[1].rstrip(")").split(", ")


async def test_erasing_or_rephoning_a_producer_keeps_the_delivery_history(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    kept = await register(client, tokens, name="Ko Aung", locale="my", phone="09 250 000 001")
    erased = await register(client, tokens, name="Ma Hla", locale="my", phone="09 250 000 002")
    await publish(client, tokens, "12600")  # one queued delivery each, waiting for a dispatcher
    async with database.session() as s:
        s.add(
            InboundMessage(
                urn="tel:+959250000002",
                channel="sms",
                text="mango muse",
                intent="price",
                locale="my",
                producer_id=erased,
            )
        )

    cleared = await client.patch(
        f"/api/v1/producers/{kept}", headers=tokens.admin, json={"phone": None}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["phone"] is None
    gone = await client.delete(f"/api/v1/producers/{erased}", headers=tokens.admin)
    assert gone.status_code == 204, gone.text

    async with database.session() as s:
        rows = (await s.exec(select(Delivery).order_by(col(Delivery.id)))).all()
        inbound = (await s.exec(select(InboundMessage))).all()
    by_urn = {d.to_urn: d for d in rows}
    assert len(rows) == 2 and inbound == []
    # The rephoned producer's delivery still says where it was meant to go, but waits no more.
    assert by_urn["tel:+959250000001"].producer_id == kept
    assert by_urn["tel:+959250000001"].address_id is None
    assert by_urn["tel:+959250000001"].status is DeliveryStatus.CANCELLED
    # The erased producer's row stays for the broadcast's counts, with nothing identifying them.
    anonymous = by_urn[None]
    assert (anonymous.producer_id, anonymous.address_id) == (None, None)
    assert anonymous.status is DeliveryStatus.CANCELLED
    assert anonymous.reason == "producer erased"
