"""Price curation through the API, as a CDE does it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

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
        await client.post(
            "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="12700", publish=True)
        )
    ).json()
    imported = await client.post(
        "/api/v1/prices/import?publish=true",
        headers={**tokens.cde_mm, "Content-Type": "text/csv"},
        content=(
            "commodity,variety,market,price,currency,unit,price_type,observed_on\n"
            f"mango,sein-ta-lone,muse,12800,CNY,tonne,border,{TODAY.isoformat()}\n"
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
    assert refused.json()["detail"].endswith(
        'if it is right, send the same request again with "confirm_outlier": true added '
        '(or without "publish" to leave it pending for review)'
    )
    count = len((await client.get("/api/v1/prices", headers=tokens.cde_mm)).json()["items"])
    assert count == 5  # nothing was written

    pending = (
        await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="40000"))
    ).json()
    assert pending["status"] == "pending" and pending["outlier"] is True
    again = await client.post(f"/api/v1/prices/{pending['id']}/publish", headers=tokens.cde_mm)
    assert again.status_code == 422
    assert again.json()["detail"].endswith(
        f"if it is right, publish it with POST /api/v1/prices/{pending['id']}/publish "
        'and the JSON body {"confirm_outlier": true}'
    )
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
        ({"currency": "yaun"}, "unknown currency 'yaun'; did you mean CNY?"),
        ({"price_type": "bordr"}, "price_type"),
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


async def test_the_same_price_posted_twice_is_refused_naming_the_first(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    first = await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())
    again = await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())
    assert again.status_code == 409, again.text
    assert again.json()["detail"].startswith(
        f"this price is already stored as price {first.json()['id']} (pending)"
    )
    # Written differently, still the same observation.
    same = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="12600.00", unit="ton")
    )
    assert same.status_code == 409, same.text
    # Another price, another day or another reporter is another observation.
    for other, headers in (
        (muse_mango(price="12700"), tokens.cde_mm),
        (muse_mango(observed_on=(TODAY - dt.timedelta(days=2)).isoformat()), tokens.cde_mm),
        (muse_mango(), tokens.admin),
    ):
        created = await client.post("/api/v1/prices", headers=headers, json=other)
        assert created.status_code == 201, created.text
    listed = (await client.get("/api/v1/prices", headers=tokens.cde_mm)).json()["items"]
    assert len(listed) == 4


async def test_a_correction_into_an_existing_price_is_refused(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    first = (await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango())).json()
    second = (
        await client.post("/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price="12700"))
    ).json()
    response = await client.patch(
        f"/api/v1/prices/{second['id']}", headers=tokens.cde_mm, json={"price": "12600"}
    )
    assert response.status_code == 409, response.text
    assert f"already stored as price {first['id']}" in response.json()["detail"]


async def test_the_database_refuses_an_exact_duplicate_too(
    session: AsyncSession, tokens: Tokens
) -> None:
    from sqlalchemy.exc import IntegrityError

    from app.catalogue.service import load_index
    from app.prices.models import PriceObservation, PriceType

    index = await load_index(session)
    market, commodity = index.market("muse"), index.commodity("fish")

    def row(**overrides: Any) -> PriceObservation:
        values: dict[str, Any] = {
            "commodity_id": commodity.id,
            "variety_id": None,  # no variety: NULLs must still collide
            "market_id": market.id,
            "country_code": "MM",
            "price": Decimal("18000"),
            "currency": "MMK",
            "unit_id": index.unit("viss").id,
            "price_type": PriceType.WHOLESALE,
            "observed_on": TODAY,
            "created_by": "thida",
        }
        return PriceObservation(**{**values, **overrides})

    session.add(row())
    await session.flush()
    session.add(row(external_key="wfp-1"))  # keyed rows are idempotent by their key instead
    await session.flush()
    session.add(row(price=Decimal("18000.0000")))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()


@pytest.mark.parametrize(
    ("written", "code"),
    [("yuan", "CNY"), ("RMB", "CNY"), ("kyat", "MMK"), ("cny", "CNY"), ("US$", "USD")],
)
async def test_currencies_in_the_words_cdes_use(
    client: httpx.AsyncClient, tokens: Tokens, written: str, code: str
) -> None:
    response = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(currency=written)
    )
    assert response.status_code == 201, response.text
    assert response.json()["currency"] == code


async def test_price_type_in_any_case(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        "/api/v1/prices", headers=tokens.cde_mm, json=muse_mango(price_type="Border")
    )
    assert response.status_code == 201, response.text
    assert response.json()["price_type"] == "border"
    listed = await client.get("/api/v1/prices?price_type=BORDER", headers=tokens.cde_mm)
    assert [p["id"] for p in listed.json()["items"]] == [response.json()["id"]]


async def test_a_series_without_variety_converts_every_point_to_one_unit_and_currency(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await add_rates(client, tokens)
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    for body in (
        muse_mango(observed_on=day, publish=True),  # 12600 CNY per tonne
        muse_mango(
            variety="yin-kwe", price="1400000", currency="MMK", unit="basket-16kg", publish=True
        ),
        muse_mango(variety=None, price="3", currency="CNY", unit="piece", publish=True),
    ):
        created = await client.post("/api/v1/prices", headers=tokens.cde_mm, json=body)
        assert created.status_code == 201, created.text
    piece_id = created.json()["id"]
    url = "/api/v1/prices/series?commodity=mango&market=muse"
    chart = (await client.get(f"{url}&unit=kg&currency=kyat", headers=tokens.cde_mm)).json()
    assert (chart["variety"], chart["unit"], chart["currency"]) == (None, "kg", "MMK")
    assert [(p["variety"], Decimal(p["price"]), p["converted"]) for p in chart["points"]] == [
        ("sein-ta-lone", Decimal("3675.0000"), True),  # 12.6 CNY/kg at 7.2 CNY and 2100 MMK/USD
        ("yin-kwe", Decimal("87500.0000"), True),  # 1 400 000 MMK per 16 kg
    ]
    assert chart["unconverted_price_ids"] == [piece_id]  # a piece has no weight
    # Nothing asked: the unit and currency of the newest price, the others converted to it.
    plain = (await client.get(url, headers=tokens.cde_mm)).json()
    assert (plain["unit"], plain["currency"]) == ("piece", "CNY")
    assert [p["price_id"] for p in plain["points"]] == [piece_id]
    one = (await client.get(f"{url}&variety=yin-kwe", headers=tokens.cde_mm)).json()
    assert [(Decimal(p["price"]), p["converted"]) for p in one["points"]] == [
        (Decimal("1400000"), False)
    ]
    assert (one["unit"], one["currency"]) == ("basket-16kg", "MMK")
