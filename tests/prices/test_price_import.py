"""CSV imports: good rows stored, bad rows reported by line, bad files refused whole."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from app.core import clock
from tests.conftest import Tokens

DAY = (clock.today("Asia/Yangon") - dt.timedelta(days=2)).isoformat()
HEADER = "commodity,variety,market,price,currency,unit,price_type,observed_on,external_key"
CSV = {"Content-Type": "text/csv"}


def rows(n: int) -> list[str]:
    markets = [
        ("mango", "sein-ta-lone", "muse", "CNY", "tonne", "border", 12000),
        ("fish", "hilsa", "yangon-san-pya", "MMK", "viss", "wholesale", 18000),
        ("mango", "yin-kwe", "mandalay", "MMK", "basket-16kg", "wholesale", 1400000),
    ]
    out = []
    for i in range(n):
        c, v, m, cur, unit, kind, base = markets[i % 3]
        out.append(f"{c},{v},{m},{base + i % 50},{cur},{unit},{kind},{DAY},row-{i}")
    return out


async def count(client: httpx.AsyncClient, tokens: Tokens) -> int:
    total, cursor = 0, None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/prices", headers=tokens.admin, params=params)).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return total


async def test_a_thousand_rows_with_three_bad_ones(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = rows(1000)
    body[99] = body[99].replace(",muse,", ",atlantis,")  # line 101
    body[499] = re.sub(r",\d+,(CNY|MMK),", r",-7,\1,", body[499])  # line 501
    body[899] = body[899].replace(DAY, "2026-13-45")  # line 901
    content = "\n".join([HEADER, *body]) + "\n"
    response = await client.post(
        "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted_count"], report["rejected_count"]) == (997, 3)
    rejected = {r["line"]: r["error"] for r in report["rejected"]}
    assert set(rejected) == {101, 501, 901}
    assert rejected[101] == "unknown market 'atlantis'"
    assert "price must be more than zero" in rejected[501]
    assert rejected[901].startswith("observed_on:")
    assert await count(client, tokens) == 997

    again = (
        await client.post(
            "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
        )
    ).json()
    # External keys make a re-import harmless: every stored row is named as a duplicate.
    assert (again["accepted_count"], again["rejected_count"], again["duplicate_count"]) == (
        0,
        3,
        997,
    )
    first_ids = {r["line"]: r["id"] for r in report["accepted"]}
    assert {r["line"]: r["existing_id"] for r in again["duplicates"]} == first_ids
    assert await count(client, tokens) == 997


async def test_a_file_without_keys_imported_twice_stores_each_price_once(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    header = HEADER.removesuffix(",external_key")
    body = [line.rsplit(",", 1)[0] for line in rows(3)]
    content = "\n".join([header, *body, body[0]]) + "\n"  # line 5 repeats line 2
    first = (
        await client.post(
            "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
        )
    ).json()
    ids = {r["line"]: r["id"] for r in first["accepted"]}
    assert sorted(ids) == [2, 3, 4]
    assert first["duplicates"] == [{"line": 5, "existing_id": ids[2]}]
    again = (
        await client.post(
            "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
        )
    ).json()
    assert again["accepted_count"] == 0
    assert {r["line"]: r["existing_id"] for r in again["duplicates"]} == {**ids, 5: ids[2]}
    assert await count(client, tokens) == 3


async def test_spreadsheet_csv_with_bom_and_semicolons(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    content = "\ufeff" + "\r\n".join(
        [HEADER.replace(",", ";"), *(r.replace(",", ";") for r in rows(3))]
    )
    response = await client.post(
        "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content.encode("utf-8")
    )
    assert response.json()["accepted_count"] == 3, response.text


async def test_malformed_files_are_refused_whole(client: httpx.AsyncClient, tokens: Tokens) -> None:
    cases = {
        "missing column(s): unit": HEADER.replace(",unit", "") + "\n" + rows(1)[0] + "\n",
        "is not valid utf-8": b"commodity,market\n\xff\xfe\n",
        "the file is empty": "",
        "unknown column(s): colour": HEADER + ",colour\n",
        "line 3:": HEADER + "\n" + rows(1)[0] + '\nmango,"unclosed,muse\n',
        "too many rows: at most 20000": HEADER
        + "\n"
        + "\n".join(rows(1)[0] for _ in range(100_000)),
    }
    for message, content in cases.items():
        response = await client.post(
            "/api/v1/prices/import",
            headers={**tokens.cde_mm, **CSV},
            content=content if isinstance(content, bytes) else content.encode(),
        )
        assert response.status_code == 422, (message, response.text)
        assert message in response.json()["detail"], (message, response.json())
    assert await count(client, tokens) == 0


async def test_a_short_row_is_reported_not_guessed(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    content = "\n".join([HEADER, rows(1)[0], "mango,muse,12000"]) + "\n"
    report = (
        await client.post(
            "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
        )
    ).json()
    assert report["accepted_count"] == 1
    assert report["rejected"] == [{"line": 3, "error": "3 fields where the header has 9"}]


async def test_the_example_file_imports(client: httpx.AsyncClient, tokens: Tokens) -> None:
    example = await client.get("/api/v1/prices/import/example", headers=tokens.admin)
    assert example.status_code == 200 and example.headers["content-type"].startswith("text/csv")
    content = re.sub(r"\d{4}-\d{2}-\d{2}", DAY, example.text)
    report = (
        await client.post(
            "/api/v1/prices/import?publish=true", headers={**tokens.admin, **CSV}, content=content
        )
    ).json()
    assert report["rejected"] == [] and report["accepted_count"] == 5
    prices = (await client.get("/api/v1/prices?status=published", headers=tokens.admin)).json()[
        "items"
    ]
    assert {p["market"] for p in prices} == {
        "muse",
        "mandalay",
        "yangon-san-pya",
        "phnom-srok",
        "thai-nguyen",
    }


async def test_rows_outside_the_cde_scope_are_rejected_by_line(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    content = "\n".join(
        [HEADER, rows(1)[0], f"silk,fine-yarn,phnom-srok,75,USD,kg,farmgate,{DAY},kh-1"]
    )
    report = (
        await client.post(
            "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
        )
    ).json()
    assert report["accepted_count"] == 1
    assert report["rejected"] == [
        {"line": 3, "error": "market phnom-srok is in KH; your token covers MM"}
    ]


async def test_a_row_with_a_control_character_is_rejected_by_line(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    good, bad = rows(2)
    # The external key is stored as given, and PostgreSQL cannot hold a NUL.
    content = "\n".join([HEADER, good, bad.replace(",row-", ",r\0ow-")]) + "\n"
    response = await client.post(
        "/api/v1/prices/import", headers={**tokens.cde_mm, **CSV}, content=content
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["accepted_count"] == 1
    assert report["rejected"] == [
        {"line": 3, "error": "external_key: control character U+0000 at position 1"}
    ]


async def test_a_published_file_is_checked_in_date_order_not_line_order(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    """As a source run: what the file publishes for earlier days is history for later ones,
    wherever its lines stand (a file newest first must not slip an outlier past the check)."""
    today = clock.today("Asia/Yangon")
    series = "mango,sein-ta-lone,muse,{price},CNY,tonne,border,{day},"
    newest = series.format(price=40000, day=today - dt.timedelta(days=1))
    older = [
        series.format(price=12000 + 10 * i, day=today - dt.timedelta(days=2 + i)) for i in range(5)
    ]
    content = "\n".join([HEADER, newest, *older]) + "\n"

    response = await client.post(
        "/api/v1/prices/import?publish=true", headers={**tokens.admin, **CSV}, content=content
    )

    report = response.json()
    assert [r["line"] for r in report["accepted"]] == [3, 4, 5, 6, 7]
    assert [r["line"] for r in report["rejected"]] == [2]
    assert report["rejected"][0]["error"].startswith("implausible price: 40000 is far from")
