"""GET /prices/compare and GET /prices/board: the comparison and the market board the console
pages show, as JSON, with the same scope and the same refusals."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.conftest import Tokens

COMPARE = "/api/v1/prices/compare"


async def test_the_comparison_as_json(
    client: httpx.AsyncClient, tokens: Tokens, price_ids: dict[str, int]
) -> None:
    answer = await client.get(
        COMPARE,
        headers=tokens.cde_mm,
        params={
            "commodity": "mango",
            "market": ["muse", "mandalay"],
            "unit": "kg",
            "currency": "MMK",
        },
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["unit"], found["currency"], found["clipped"]) == ("kg", "MMK", False)
    assert [s["market"] for s in found["series"]] == ["muse", "mandalay"]
    muse = found["series"][0]["points"]
    assert [(p["price_id"], Decimal(p["price"])) for p in muse] == [
        (price_ids["muse_early"], Decimal("3675")),
        (price_ids["muse_late"], Decimal("3870")),
    ]
    assert [(r["base"], r["quote"], r["source"]) for r in found["rates"]] == [
        ("USD", "CNY", "pboc"),
        ("USD", "MMK", "cbm"),
        ("USD", "MMK", "cbm"),
    ]
    assert [(u["price_id"], u["reason"]) for u in found["unconverted"]] == [
        (price_ids["muse_piece"], "unit"),
        (price_ids["mandalay_baht"], "rate"),
    ]
    whole = await client.get(
        COMPARE, headers=tokens.cde_mm, params={"commodity": "mango", "days": "all"}
    )
    assert whole.status_code == 200 and whole.json()["observed_from"] == "2026-11-10"


async def test_the_comparison_refuses_what_it_cannot_answer(
    client: httpx.AsyncClient, tokens: Tokens, price_ids: dict[str, int]
) -> None:
    other = await client.get(
        COMPARE, headers=tokens.cde_kh, params={"commodity": "mango", "market": "muse"}
    )
    assert other.status_code == 403 and other.json()["error"] == "forbidden"
    for params in (
        {"commodity": "mango", "days": "0"},
        {"commodity": "mango", "days": "week"},
        {"commodity": "mango", "market": "atlantis"},
        {"commodity": "mango", "currency": "doubloon"},
        {"commodity": "durian"},
    ):
        refused = await client.get(COMPARE, headers=tokens.cde_mm, params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["error"] in ("invalid_input", "validation_error"), refused.text


async def test_the_market_board_as_json(
    client: httpx.AsyncClient, tokens: Tokens, price_ids: dict[str, int]
) -> None:
    answer = await client.get("/api/v1/prices/board?market=muse", headers=tokens.viewer_mm)
    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert [(r["commodity"], r["latest"]["id"], r["old"]) for r in board["rows"]] == [
        ("fish", price_ids["muse_fish"], True),
        ("mango", price_ids["muse_piece"], False),
        ("mango", price_ids["muse_late"], False),
    ]
    assert Decimal(board["rows"][2]["change_percent"]) == Decimal("2.9")
    refused = await client.get("/api/v1/prices/board?market=muse", headers=tokens.cde_kh)
    assert refused.status_code == 403
    unknown = await client.get("/api/v1/prices/board?market=atlantis", headers=tokens.cde_mm)
    assert unknown.status_code == 422
