"""Two CDEs (or two tabs of one) deciding on the same pending price at the same moment: one
decision wins, the other hears that the price was already decided, and nothing is written twice."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa

from app.alerts.models import Broadcast
from app.core import clock
from app.core.db import Database
from tests.alerts.conftest import register
from tests.conftest import Tokens


async def pending(client: httpx.AsyncClient, tokens: Tokens, price: str = "12000") -> int:
    created = await client.post(
        "/api/v1/prices",
        headers=tokens.cde_mm,
        json={
            "commodity": "mango",
            "market": "muse",
            "price": price,
            "currency": "CNY",
            "unit": "tonne",
            "price_type": "border",
            "observed_on": clock.today("Asia/Yangon").isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    price_id: int = created.json()["id"]
    return price_id


async def test_two_publishes_of_one_price_at_once_alert_once_and_the_second_hears_why(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    await register(client, tokens, name="A", locale="my", phone="+959250000091")
    for round_ in range(3):
        price_id = await pending(client, tokens, f"1200{round_}")
        url = f"/api/v1/prices/{price_id}/publish"
        answers = await asyncio.gather(
            client.post(url, headers=tokens.cde_mm), client.post(url, headers=tokens.admin)
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409).json()
        assert "published" in refused["detail"]
        async with database.read_session() as s:
            broadcasts = (
                await s.exec(  # type: ignore[call-overload]
                    sa.select(sa.func.count())
                    .where(sa.column("price_id") == price_id)
                    .select_from(Broadcast)
                )
            ).scalar_one()
        assert broadcasts == 1


async def test_a_publish_and_a_reject_at_once_leave_one_decision(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    price_id = await pending(client, tokens)
    published, rejected = await asyncio.gather(
        client.post(f"/api/v1/prices/{price_id}/publish", headers=tokens.cde_mm),
        client.post(
            f"/api/v1/prices/{price_id}/reject", headers=tokens.admin, json={"reason": "typo"}
        ),
    )
    # A reject may withdraw a published price, so both may succeed in that order; never a 500.
    assert {published.status_code, rejected.status_code} <= {200, 409}
    final = (await client.get(f"/api/v1/prices/{price_id}", headers=tokens.admin)).json()
    assert final["status"] in {"published", "rejected"}
