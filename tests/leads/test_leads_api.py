"""Buyer leads: only verified leads count, contacts are personal data, expired leads vanish."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.db import Database
from app.leads.models import BuyerLead
from tests.alerts.conftest import alerts_to, follower, register
from tests.conftest import Tokens


def offer(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "buy",
        "commodity": "mango",
        "variety": "sein-ta-lone",
        "quantity": "20",
        "unit": "tonne",
        "price": "11800",
        "currency": "CNY",
        "destination": "Ruili",
        "buyer_name": "Ruili Fruit Trading Co.",
        "contact": "+86 692 000 0000",
        "country": "MM",
    }
    return {**body, **overrides}


async def test_lifecycle_and_the_alert_of_a_verified_lead(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    wants = await follower(database, leads=True)
    created = await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer())
    assert created.status_code == 201, created.text
    lead = created.json()
    assert lead["status"] == "pending" and await alerts_to(database, wants) == []
    verified = await client.post(f"/api/v1/leads/{lead['id']}/verify", headers=tokens.cde_mm)
    assert verified.json()["status"] == "verified"
    assert await alerts_to(database, wants) == [("lead", lead["id"])]
    changed = await client.patch(
        f"/api/v1/leads/{lead['id']}", headers=tokens.cde_mm, json={"price": "11500"}
    )
    assert changed.json()["status"] == "pending"  # new terms are checked again
    closed = await client.post(
        f"/api/v1/leads/{lead['id']}/close", headers=tokens.cde_mm, json={"reason": "signed"}
    )
    assert closed.json()["status"] == "closed"
    assert (
        await client.post(f"/api/v1/leads/{lead['id']}/verify", headers=tokens.cde_mm)
    ).status_code == 409


async def test_contacts_only_for_admins_and_the_countrys_cdes(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    lead = (await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer())).json()
    assert lead["contact"] == "+86 692 000 0000"
    assert (await client.get(f"/api/v1/leads/{lead['id']}", headers=tokens.admin)).json()["contact"]
    assert (await client.get(f"/api/v1/leads/{lead['id']}", headers=tokens.viewer_mm)).json()[
        "contact"
    ] is None
    assert (
        await client.get(f"/api/v1/leads/{lead['id']}", headers=tokens.cde_kh)
    ).status_code == 403


async def test_expired_leads_stop_showing(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    lead = (await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer())).json()
    async with database.session() as s:
        row = await s.get(BuyerLead, lead["id"])
        assert row is not None
        row.expires_on = clock.today("Asia/Yangon") - dt.timedelta(days=3)
        s.add(row)
    assert (await client.get("/api/v1/leads", headers=tokens.cde_mm)).json()["items"] == []
    expired = (await client.get("/api/v1/leads?status=expired", headers=tokens.cde_mm)).json()[
        "items"
    ]
    assert [(x["id"], x["status"]) for x in expired] == [(lead["id"], "expired")]
    assert (
        await client.post(f"/api/v1/leads/{lead['id']}/verify", headers=tokens.cde_mm)
    ).status_code == 409


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price": None, "currency": None}, 'give a price, or "negotiable": true'),
        ({"quantity": "0"}, "quantity must be more than zero"),
        ({"currency": None}, "a price needs its currency"),
        ({"expires_on": "2020-01-01"}, "is already past"),
        (
            {"expires_on": (clock.today("Asia/Yangon") + dt.timedelta(days=400)).isoformat()},
            "180 days at most",
        ),
        ({"commodity": "unicorn"}, "unknown commodity 'unicorn'"),
    ],
)
async def test_bad_leads(
    client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any], message: str
) -> None:
    r = await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer(**overrides))
    assert r.status_code == 422 and message in str(r.json()["detail"]), r.text


async def test_negotiable_offers_need_no_price(client: httpx.AsyncClient, tokens: Tokens) -> None:
    r = await client.post(
        "/api/v1/leads",
        headers=tokens.cde_mm,
        json=offer(kind="sell", price=None, currency=None, negotiable=True),
    )
    assert r.status_code == 201 and r.json()["negotiable"] is True


async def test_a_lead_producers_were_sent_is_closed_not_deleted(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(
        client,
        tokens,
        name="Ko Aung",
        locale="my",
        phone="09 250 000 001",
        subscribe={"commodity": "mango", "leads": True},
    )
    lead = (await client.post("/api/v1/leads", headers=tokens.cde_mm, json=offer())).json()
    verified = await client.post(f"/api/v1/leads/{lead['id']}/verify", headers=tokens.cde_mm)
    assert verified.status_code == 200, verified.text

    refused = await client.delete(f"/api/v1/leads/{lead['id']}", headers=tokens.cde_mm)
    assert refused.status_code == 409, refused.text
    assert f"close it instead (POST /leads/{lead['id']}/close)" in refused.json()["detail"]
    assert (
        await client.get(f"/api/v1/leads/{lead['id']}", headers=tokens.cde_mm)
    ).status_code == 200
