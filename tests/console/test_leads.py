"""The leads pages: the list and its filters, a lead's page with the contact shown only to
those the API shows it to, verifying (and the producers it reaches per channel), rejecting with
a reason, closing, and bad input refused with nothing changed."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import col, select

from app.accounts.models import AuditLog, Role
from app.core.db import Database
from app.leads.models import BuyerLead, LeadStatus
from tests.alerts.conftest import follower
from tests.conftest import Tokens
from tests.console.conftest import Users, add_user, csrf_of, sign_in
from tests.leads.test_leads_api import offer

CDE = "hla"  # a MM CDE reading the console in English
CONTACT = "+86 692 000 0000"


@pytest.fixture
async def cde(database: Database, users: Users) -> str:
    await add_user(database, CDE, Role.CDE, ["MM"])
    return CDE


async def new_lead(client: httpx.AsyncClient, headers: dict[str, str], **overrides: str) -> int:
    created = await client.post("/api/v1/leads", headers=headers, json=offer(**overrides))
    assert created.status_code == 201, created.text
    lead_id: int = created.json()["id"]
    return lead_id


async def status_of(database: Database, lead_id: int) -> LeadStatus:
    async with database.read_session() as session:
        lead = await session.get(BuyerLead, lead_id)
        assert lead is not None
        return lead.status


async def lead_actions(database: Database) -> list[str]:
    async with database.read_session() as session:
        rows = await session.exec(
            select(AuditLog.action).where(col(AuditLog.action).startswith("lead."))
        )
        return list(rows.all())


def shown(page: httpx.Response, attribute: str) -> str:
    found = re.search(rf"<dd {attribute}>([^<]*)</dd>", page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_verifying_shows_the_producers_it_reaches(
    client: httpx.AsyncClient, database: Database, cde: str, tokens: Tokens
) -> None:
    await follower(database, leads=True)
    await follower(database, name="U Ba", phone="+959250000322", leads=False)
    lead_id = await new_lead(client, tokens.admin)
    await sign_in(client, cde)
    page = await client.get(f"/console/leads/{lead_id}")
    assert shown(page, "data-status") == "Waiting for verification"
    assert shown(page, "data-contact") == CONTACT
    assert "data-reach" not in page.text  # only a verified lead reaches anyone
    verified = await client.post(
        f"/console/leads/{lead_id}/verify", data={"csrf_token": csrf_of(page)}
    )
    assert verified.headers["location"] == f"/console/leads/{lead_id}?done=verified"
    page = await client.get(verified.headers["location"])
    assert shown(page, "data-status") == "Verified"
    assert shown(page, "data-reach") == "1"  # the follower who asked for leads
    assert '<dd data-channel="sms">1</dd>' in page.text
    assert await status_of(database, lead_id) is LeadStatus.VERIFIED
    again = await client.post(
        f"/console/leads/{lead_id}/verify", data={"csrf_token": csrf_of(page)}
    )
    assert again.status_code == 422 and "cannot become verified" in again.text
    assert await lead_actions(database) == ["lead.create", "lead.verified"]


async def test_reject_needs_a_reason_and_close_ends_the_lead(
    client: httpx.AsyncClient, database: Database, cde: str, tokens: Tokens
) -> None:
    first = await new_lead(client, tokens.admin)
    second = await new_lead(client, tokens.admin, kind="sell")
    await sign_in(client, cde)
    csrf = csrf_of(await client.get(f"/console/leads/{first}"))
    for reason in ("", "   ", "x" * 501):
        refused = await client.post(
            f"/console/leads/{first}/reject", data={"csrf_token": csrf, "reason": reason}
        )
        assert refused.status_code == 422 and "Give the reason" in refused.text
    assert await status_of(database, first) is LeadStatus.PENDING
    rejected = await client.post(
        f"/console/leads/{first}/reject", data={"csrf_token": csrf, "reason": "No licence"}
    )
    assert rejected.status_code == 303
    page = await client.get(rejected.headers["location"])
    assert "The lead is rejected." in page.text and "No licence" in page.text
    closed = await client.post(f"/console/leads/{second}/close", data={"csrf_token": csrf})
    assert closed.status_code == 303
    assert await status_of(database, first) is LeadStatus.REJECTED
    assert await status_of(database, second) is LeadStatus.CLOSED
    listed = await client.get("/console/leads", params={"status": "closed"})
    assert f"/console/leads/{second}" in listed.text
    assert f"/console/leads/{first}" not in listed.text
    selling = await client.get("/console/leads", params={"kind": "sell", "status": ""})
    assert f"/console/leads/{second}" in selling.text


async def test_contacts_scope_and_csrf(
    client: httpx.AsyncClient, database: Database, users: Users, cde: str, tokens: Tokens
) -> None:
    lead_id = await new_lead(client, tokens.admin)
    kh_lead = await new_lead(client, tokens.admin, country="KH", currency="USD")
    await sign_in(client, cde)
    for token in (None, "stale"):
        data = {"reason": "No licence"} | ({"csrf_token": token} if token else {})
        forged = await client.post(f"/console/leads/{lead_id}/reject", data=data)
        assert forged.status_code == 403 and "This form has expired" in forged.text
        verify = await client.post(f"/console/leads/{lead_id}/verify", data=data)
        assert verify.status_code == 403
    assert await status_of(database, lead_id) is LeadStatus.PENDING
    assert (await client.get(f"/console/leads/{kh_lead}")).status_code == 403
    csrf = csrf_of(await client.get(f"/console/leads/{lead_id}"))
    other = await client.post(f"/console/leads/{kh_lead}/verify", data={"csrf_token": csrf})
    assert other.status_code == 403
    assert (await client.get("/console/leads/999999")).status_code == 404
    assert f"/console/leads/{kh_lead}" not in (await client.get("/console/leads")).text
    assert await status_of(database, kh_lead) is LeadStatus.PENDING
    viewer = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with viewer:
        await sign_in(viewer, users.viewer_mm)
        page = await viewer.get(f"/console/leads/{lead_id}")
        assert page.status_code == 200
        assert CONTACT not in page.text and "Hidden" in page.text
        assert "/verify" not in page.text
        refused = await viewer.post(
            f"/console/leads/{lead_id}/verify", data={"csrf_token": csrf_of(page)}
        )
        assert refused.status_code == 403
    assert await status_of(database, lead_id) is LeadStatus.PENDING
