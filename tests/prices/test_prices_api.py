"""Price curation through the API, as a CDE does it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.db import Database
from tests.alerts.conftest import alerts_to, follower
from tests.conftest import Tokens

TODAY = clock.today("Asia/Yangon")


def muse_mango(**overrides: Any) -> dict[str, Any]:
    body = {
        "commodity": "mango",
        "variety": "sein-ta-lone",
        "market": "muse",
        "price": "12600",
        "currency": "CNY",
        "unit": "tonne",
        "price_type": "border",
        "observed_on": (TODAY - dt.timedelta(days=1)).isoformat(),
    }
    return {**body, **overrides}


async def add_rates(client: httpx.AsyncClient, tokens: Tokens) -> None:
    on = (TODAY - dt.timedelta(days=7)).isoformat()
    for base, quote, rate in (("USD", "MMK", "2100"), ("USD", "CNY", "7.2")):
        response = await client.post(
            "/api/v1/fx-rates",
            headers=tokens.admin,
            json={"base": base, "quote": quote, "rate": rate, "on_date": on, "source": "test"},
        )
        assert response.status_code == 201, response.text


async def test_walkthrough_pending_publish_latest_correct_audit(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await add_rates(client, tokens)
    created = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(market="မူဆယ်")
    )
    assert created.status_code == 201, created.text
    price = created.json()
    assert (price["market"], price["status"], price["currency"], price["unit"]) == (
        "muse",
        "pending",
        "CNY",
        "tonne",
    )

    pending = (await client.get("/api/v1/prices?status=pending", headers=tokens.cde_mm)).json()
    assert [p["id"] for p in pending["items"]] == [price["id"]]

    published = await client.post(f"/api/v1/prices/{price['id']}/publish", headers=tokens.cde_mm)
    assert published.json()["status"] == "published"

    latest = (
        await client.get("/api/v1/prices/latest?commodity=mango&market=muse", headers=tokens.cde_mm)
    ).json()
    assert len(latest) == 1
    eq = latest[0]["latest"]["equivalents"]
    # 12 600 CNY per tonne = 12.6 CNY/kg; 1 CNY = 2100/7.2 MMK = 291.67 MMK
    assert Decimal(eq["per_kg"]) == Decimal("12.6")
    assert Decimal(eq["usd"]) == Decimal("1750")
    assert eq["local_currency"] == "MMK"
    assert Decimal(eq["local"]) == Decimal("3675000")
    assert Decimal(eq["local_per_kg"]) == Decimal("3675")
    assert latest[0]["previous"] is None

    corrected = await client.patch(
        f"/api/v1/prices/{price['id']}", headers=tokens.cde_mm, json={"price": "12400"}
    )
    assert corrected.status_code == 200 and Decimal(corrected.json()["price"]) == 12400
    history = (
        await client.get(f"/api/v1/prices/{price['id']}/history", headers=tokens.cde_mm)
    ).json()
    assert [e["action"] for e in history] == ["price.correct", "price.publish", "price.create"]
    assert (
        Decimal(history[0]["before"]["price"]) == 12600
        and Decimal(history[0]["after"]["price"]) == 12400
    )
    assert all(e["actor"] == "thida" for e in history)
    audit = (await client.get("/api/v1/audit?entity=price", headers=tokens.cde_mm)).json()
    assert len(audit["items"]) == 3


async def test_latest_gives_the_previous_price_and_the_change(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for days, value in ((3, "12000"), (1, "12600")):
        r = await client.post(
            "/api/v1/prices",
            headers=tokens.cde_mm,
            json=muse_mango(
                price=value, observed_on=(TODAY - dt.timedelta(days=days)).isoformat(), publish=True
            ),
        )
        assert r.status_code == 201, r.text
    latest = (
        await client.get("/api/v1/prices/latest?commodity=mango&market=muse", headers=tokens.cde_mm)
    ).json()
    assert Decimal(latest[0]["previous"]["price"]) == 12000
    assert Decimal(latest[0]["change_percent"]) == Decimal("5.0")
    series = (
        await client.get(
            "/api/v1/prices/series?commodity=mango&market=muse&variety=sein-ta-lone",
            headers=tokens.cde_mm,
        )
    ).json()
    assert [Decimal(p["price"]) for p in series["points"]] == [12000, 12600]


async def test_publishing_alerts_the_followers_through_the_outbox(
    client: httpx.AsyncClient, tokens: Tokens, database: Database
) -> None:
    follows = await follower(database)
    pending = (await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())).json()
    assert await alerts_to(database, follows) == []  # a pending price alerts nobody
    await client.post(f"/api/v1/prices/{pending['id']}/publish", headers=tokens.cde_mm)
    direct = (
        await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(publish=True))
    ).json()
    imported = await client.post(
        "/api/v1/prices/import?publish=true",
        headers={**tokens.cde_mm, "Content-Type": "text/csv"},
        content=(
            "commodity,variety,market,price,currency,unit,price_type,observed_on\n"
            f"mango,sein-ta-lone,muse,12700,CNY,tonne,border,{TODAY.isoformat()}\n"
        ),
    )
    assert imported.status_code == 200, imported.text
    [row] = imported.json()["accepted"]
    assert await alerts_to(database, follows) == [
        ("price", pending["id"]),
        ("price", direct["id"]),
        ("price", row["id"]),
    ]


async def test_the_outlier_rule(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for i, value in enumerate(("12000", "12300", "11900", "12100", "12400")):
        day = (TODAY - dt.timedelta(days=10 - i)).isoformat()
        r = await client.post(
            "/api/v1/prices",
            headers=tokens.cde_mm,
            json=muse_mango(price=value, observed_on=day, publish=True),
        )
        assert r.status_code == 201 and not r.json()["outlier"]
    refused = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="40000", publish=True)
    )
    assert refused.status_code == 422
    assert "implausible price: 40000 is far from the median 12100" in refused.json()["detail"]
    assert '"confirm_outlier": true' in refused.json()["detail"]
    count = len((await client.get("/api/v1/prices", headers=tokens.cde_mm)).json()["items"])
    assert count == 5  # nothing was written

    pending = (
        await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="40000"))
    ).json()
    assert pending["status"] == "pending" and pending["outlier"] is True
    again = await client.post(f"/api/v1/prices/{pending['id']}/publish", headers=tokens.cde_mm)
    assert again.status_code == 422
    confirmed = await client.post(
        f"/api/v1/prices/{pending['id']}/publish",
        headers=tokens.cde_mm,
        json={"confirm_outlier": True},
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "published"
    normal = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="12800", publish=True)
    )
    assert normal.status_code == 201 and normal.json()["outlier"] is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"unit": "sack"}, "unknown unit 'sack'"),
        ({"currency": "XYZ"}, "unknown currency 'XYZ'"),
        ({"price": "-5"}, "price must be more than zero"),
        ({"price": "0"}, "price must be more than zero"),
        ({"price": "NaN"}, "price"),
        ({"price": "Infinity"}, "price"),
        ({"observed_on": (TODAY + dt.timedelta(days=3)).isoformat()}, "is in the future"),
        ({"observed_on": (TODAY - dt.timedelta(days=400)).isoformat()}, "more than a year ago"),
        ({"price_min": "13000"}, "price_min 13000 is above the price 12600"),
        ({"market": "'; DROP TABLE price_observation; --"}, "unknown market"),
        ({"commodity": "🥭"}, "unknown commodity '🥭'"),
        ({"variety": "hilsa"}, "unknown mango variety 'hilsa'"),
        ({"note": "x" * 1_000}, "note"),
        ({"price_type": "black-market"}, "price_type"),
    ],
)
async def test_bad_prices_get_a_clear_422_and_write_nothing(
    client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any], message: str
) -> None:
    response = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(**overrides)
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert message in str(response.json()["detail"])
    assert (await client.get("/api/v1/prices", headers=tokens.admin)).json()["items"] == []


async def test_zawgyi_and_emoji_notes_are_stored_as_clean_unicode(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    r = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(note="မူဆယ္ ေဈး 🥭")
    )
    assert r.status_code == 201
    assert r.json()["note"] == "မူဆယ် ဈေး 🥭"


async def test_a_megabyte_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(note="x" * 1_100_000)
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


async def test_country_scope_is_403_everywhere(client: httpx.AsyncClient, tokens: Tokens) -> None:
    kh = await client.post(
        "/api/v1/prices",
        headers=tokens.cde_kh,
        json=muse_mango(
            commodity="silk",
            variety="fine-yarn",
            market="phnom-srok",
            price="75",
            currency="USD",
            unit="kg",
            price_type="farmgate",
        ),
    )
    assert kh.status_code == 201
    kh_id = kh.json()["id"]
    for method, path in (
        ("GET", f"/api/v1/prices/{kh_id}"),
        ("POST", f"/api/v1/prices/{kh_id}/publish"),
        ("GET", "/api/v1/prices?country=KH"),
        ("GET", "/api/v1/prices/latest?commodity=silk&market=phnom-srok"),
    ):
        response = await client.request(method, path, headers=tokens.cde_mm)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "forbidden"
    wrong_market = await client.post(
        "/api/v1/prices",
        headers=tokens.cde_mm,
        json=muse_mango(market="siem-reap", currency="KHR", unit="kg"),
    )
    assert wrong_market.status_code == 403
    assert (await client.get("/api/v1/prices", headers=tokens.cde_mm)).json()["items"] == []
    assert len((await client.get("/api/v1/prices", headers=tokens.admin)).json()["items"]) == 1


async def test_viewers_read_but_never_write(client: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (
        await client.post("/api/v1/prices", headers=tokens.viewer_mm, json=muse_mango())
    ).status_code == 403
    created = (await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())).json()
    assert (
        await client.get(f"/api/v1/prices/{created['id']}", headers=tokens.viewer_mm)
    ).status_code == 200
    assert (
        await client.post(f"/api/v1/prices/{created['id']}/publish", headers=tokens.viewer_mm)
    ).status_code == 403
    assert (await client.get("/api/v1/audit", headers=tokens.viewer_mm)).status_code == 403


async def test_reject_and_state_rules(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = (await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())).json()
    rejected = await client.post(
        f"/api/v1/prices/{created['id']}/reject",
        headers=tokens.cde_mm,
        json={"reason": "viss, not kg"},
    )
    assert (
        rejected.json()["status"] == "rejected"
        and rejected.json()["reject_reason"] == "viss, not kg"
    )
    again = await client.post(f"/api/v1/prices/{created['id']}/publish", headers=tokens.cde_mm)
    assert again.status_code == 409
    assert (
        await client.post(
            f"/api/v1/prices/{created['id']}/reject", headers=tokens.cde_mm, json={"reason": " "}
        )
    ).status_code == 422


async def test_pagination_walks_every_price_once(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for i in range(7):
        await client.post(
            "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price=str(12000 + i))
        )
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/prices", headers=tokens.cde_mm, params=params)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 7


async def test_a_cde_sets_only_rates_of_their_own_countries_currencies(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    def rate(base: str, quote: str) -> dict[str, str]:
        return {
            "base": base,
            "quote": quote,
            "rate": "4100",
            "on_date": "2026-11-20",
            "source": "t",
        }

    refused = {}
    for base, quote in (("USD", "KHR"), ("MMK", "KHR"), ("USD", "CNY")):
        response = await client.post(
            "/api/v1/fx-rates", headers=tokens.cde_mm, json=rate(base, quote)
        )
        assert response.status_code == 403, response.text
        refused[f"{base}/{quote}"] = response.json()["detail"]
    khr = "KHR is the currency of KH; your token covers MM, so {} is not yours to set"
    assert refused == {
        "USD/KHR": khr.format("USD/KHR"),
        "MMK/KHR": khr.format("MMK/KHR"),
        "USD/CNY": "USD/CNY is no country's currency pair; only admins set it",
    }
    assert (await client.get("/api/v1/fx-rates", headers=tokens.admin)).json() == []

    own = await client.post("/api/v1/fx-rates", headers=tokens.cde_mm, json=rate("CNY", "MMK"))
    assert own.status_code == 201, own.text
    riel = await client.post("/api/v1/fx-rates", headers=tokens.cde_kh, json=rate("USD", "KHR"))
    assert riel.status_code == 201, riel.text
    admin = await client.post("/api/v1/fx-rates", headers=tokens.admin, json=rate("USD", "CNY"))
    assert admin.status_code == 201, admin.text
    audit = (
        await client.get("/api/v1/audit", headers=tokens.cde_mm, params={"entity": "fx_rate"})
    ).json()["items"]
    assert [(a["actor"], a["after"]["quote"]) for a in audit] == [("thida", "MMK")]
