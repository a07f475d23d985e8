"""The open data downloads: published prices only, their columns as the dictionary says, filters,
paging through a large download, conditional requests, and bad input refused with the reason."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.db import Database
from app.prices.models import PriceStatus, PriceType
from app.prices.published import COLUMNS, FIELD_REPORT_SOURCE, MIC_SOURCE
from app.sources.models import Source, SourceKind
from tests.conftest import Tokens
from tests.public.prices import add_prices, yesterday

pytestmark = pytest.mark.usefixtures("seeded")

JSON = "/open/v1/prices.json"
CSV = "/open/v1/prices.csv"
DICTIONARY = "/open/v1/prices/dictionary"


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_only_published_prices_with_the_columns_of_the_dictionary(
    client: httpx.AsyncClient, database: Database
) -> None:
    published = await add_prices(database, {}, {"price": Decimal("0.1250"), "unit": "kg"})
    await add_prices(
        database,
        {"status": PriceStatus.PENDING, "price": Decimal("13000")},
        {"status": PriceStatus.REJECTED, "price": Decimal("14000"), "reject_reason": "typo"},
    )
    response = await client.get(JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["items"]] == sorted(published, reverse=True)
    columns = [c["name"] for c in (await client.get(DICTIONARY)).json()["columns"]]
    assert columns[:3] == ["observed_on", "country", "market"] and columns[-1] == "id"
    assert all(list(item) == columns for item in body["items"])
    newest = body["items"][0]
    assert newest["price"] == "0.125" and newest["unit"] == "kg"
    assert body["items"][1]["price"] == "12600"
    assert newest["market_name"] == "Muse" and newest["variety"] == "sein-ta-lone"
    assert newest["source"] == MIC_SOURCE
    assert newest["published_at"].endswith("Z")
    assert body["licence"] == "CC BY 4.0" and body["next"] is None
    assert response.headers["x-licence"] == "CC BY 4.0"
    assert response.links["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "thida" not in response.text and "typo" not in response.text

    rows = read_csv(await client.get(CSV))
    assert list(rows[0]) == columns
    assert [int(r["id"]) for r in rows] == [item["id"] for item in body["items"]]
    assert rows[0]["price"] == "0.125" and rows[1]["variety"] == "sein-ta-lone"
    assert rows[0]["published_at"] == newest["published_at"]


async def test_the_dictionary_describes_every_column_in_the_openapi_too(
    client: httpx.AsyncClient,
) -> None:
    dictionary = (await client.get(DICTIONARY)).json()
    spec = (await client.get("/openapi.json")).json()
    schema = spec["components"]["schemas"]["OpenPrice"]["properties"]
    assert [c["name"] for c in dictionary["columns"]] == list(schema)
    for column in dictionary["columns"]:
        assert column["description"] == schema[column["name"]]["description"]
        assert column["type"] in {"date", "timestamp", "text", "decimal", "integer"}
    kinds = {c["name"]: c for c in dictionary["columns"]}
    assert kinds["price_type"]["values"] == [t.value for t in PriceType]
    assert kinds["variety"]["required"] is False and kinds["price"]["type"] == "decimal"
    assert dictionary["licence"] == "CC BY 4.0" and "Link" in dictionary["paging"]
    for path in ("/open/v1/prices.json", "/open/v1/prices.csv", "/open/v1/notices/{country}.atom"):
        assert path in spec["paths"]


def test_the_readme_lists_the_columns_in_their_order() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("The columns of `prices.csv`", 1)[1].split("\n\n", 2)[1]
    listed = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert listed == list(COLUMNS)


async def test_source_names_never_staff_names(
    client: httpx.AsyncClient, database: Database
) -> None:
    async with database.session() as session:
        source = Source(
            slug="wfp-mm",
            name="WFP food prices, Myanmar",
            kind=SourceKind.WFP_HDX,
            country_code="MM",
            url="https://data.example/wfp.csv",
            schedule="0 6 * * 1",
            created_by="thida",
        )
        session.add(source)
        await session.flush()
        source_id = source.id
    await add_prices(
        database,
        {"source": "wfp-mm", "source_id": source_id, "created_by": "source:wfp-mm"},
        {"source": "sms", "created_by": "producer:7", "price": Decimal("12700")},
        {"source": "api", "created_by": "thida", "price": Decimal("12800")},
    )
    items = (await client.get(JSON)).json()["items"]
    assert [i["source"] for i in items] == [MIC_SOURCE, FIELD_REPORT_SOURCE, source.name]


async def test_filters(client: httpx.AsyncClient, database: Database) -> None:
    week_ago = yesterday() - dt.timedelta(days=6)
    ids = dict(
        zip(
            ("muse", "muse-rohu", "phnom-penh", "old", "yin-kwe"),
            await add_prices(
                database,
                {},
                {"commodity": "fish", "variety": "rohu", "price": Decimal("3000")},
                {"market": "phnom-srok", "commodity": "silk", "currency": "KHR", "unit": "kg"},
                {"observed_on": week_ago, "price": Decimal("12000")},
                {"variety": "yin-kwe", "price": Decimal("12500")},
            ),
            strict=True,
        )
    )

    async def selected(**params: Any) -> set[int]:
        response = await client.get(JSON, params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await selected(country="KH") == {ids["phnom-penh"]}
    assert await selected(country="mm") == set(ids.values()) - {ids["phnom-penh"]}
    assert await selected(market="Phnom Srok") == {ids["phnom-penh"]}  # any name it has
    assert await selected(commodity="fish") == {ids["muse-rohu"]}
    assert await selected(commodity="mango", variety="yin-kwe") == {ids["yin-kwe"]}
    assert ids["old"] not in await selected(**{"from": yesterday().isoformat()})
    assert await selected(**{"to": week_ago.isoformat()}) == {ids["old"]}
    assert await selected(country="LA") == set()
    assert await selected(to="0001-01-01") == set()  # the calendar's first day: nothing
    assert await selected(**{"from": "9998-12-31", "to": "9999-12-31"}) == set()


async def test_a_large_download_page_by_page_finds_every_row_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    rows = [
        {
            "price": Decimal(10000 + n),
            "observed_on": yesterday() - dt.timedelta(days=n % 20),
            "status": PriceStatus.PENDING if n % 10 == 0 else PriceStatus.PUBLISHED,
        }
        for n in range(2750)
    ]
    ids = await add_prices(database, *rows)
    wanted = {i for i, row in zip(ids, rows, strict=True) if row["status"] == "published"}
    assert len(wanted) == 2475

    seen: list[int] = []
    url: str | None = JSON + "?limit=1000"
    pages = 0
    while url is not None:
        body = (await client.get(url)).json()
        seen.extend(item["id"] for item in body["items"])
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) and set(seen) == wanted

    seen = []
    response = await client.get(CSV)  # 500 a page unless said
    while True:
        seen.extend(int(r["id"]) for r in read_csv(response))
        if "next" not in response.links:
            break
        response = await client.get(response.links["next"]["url"])
    assert len(seen) == len(set(seen)) and set(seen) == wanted


async def test_the_next_link_keeps_the_range_it_started_with(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_prices(database, {}, {"price": Decimal("13000")})
    body = (await client.get(JSON, params={"limit": 1})).json()
    following = httpx.URL(body["next"])
    assert following.params["from"] == body["from"] and following.params["to"] == body["to"]
    assert (dt.date.fromisoformat(body["to"]) - dt.date.fromisoformat(body["from"])).days == 30
    assert following.params["limit"] == "1"
    last = (await client.get(body["next"])).json()
    assert last["next"] is None and len(last["items"]) == 1


async def test_conditional_requests(
    client: httpx.AsyncClient, database: Database, tokens: Tokens
) -> None:
    (first,) = await add_prices(database, {})
    response = await client.get(JSON)
    etag, modified = response.headers["etag"], response.headers["last-modified"]
    again = await client.get(JSON, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert (await client.get(JSON, headers={"If-None-Match": f"W/{etag}"})).status_code == 304
    assert (await client.get(JSON, headers={"If-Modified-Since": modified})).status_code == 304
    csv_tag = (await client.get(CSV)).headers["etag"]
    assert csv_tag != etag
    assert (await client.get(CSV, headers={"If-None-Match": csv_tag})).status_code == 304

    # A price withdrawn after publication leaves the download: the client's copy is stale.
    withdrawn = await client.post(
        f"/api/v1/prices/{first}/reject", headers=tokens.admin, json={"reason": "wrong market"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    changed = await client.get(JSON, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["items"] == []
    garbage = {"If-Modified-Since": "yesterday, around noon"}
    assert (await client.get(JSON, headers=garbage)).status_code == 200


BAD_INPUT: list[tuple[dict[str, str], str]] = [
    ({"country": "ZZ"}, "unknown country 'ZZ'"),
    ({"commodity": "durian"}, "unknown commodity 'durian'"),
    ({"market": "atlantis"}, "unknown market 'atlantis'"),
    ({"variety": "yin-kwe"}, "filtering by variety needs the commodity too"),
    ({"commodity": "mango", "variety": "rohu"}, "unknown mango variety 'rohu'"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "from (2026-03-01) is after to (2026-02-01)"),
    ({"from": "2006-01-01", "to": "2025-12-31"}, "is 7305 days; a request covers at most 366"),
    ({"from": "1999-01-01"}, "a request covers at most 366"),
    ({"limit": "1001"}, "less than or equal to 1000"),
    ({"limit": "0"}, "greater than or equal to 1"),
    ({"cursor": "abc"}, "valid integer"),
    ({"cursor": "0"}, "greater than or equal to 1"),
    ({"cursor": "99999999999"}, "less than or equal to 2147483647"),
    ({"from": "last week"}, "valid date"),
    ({"country": "MMR"}, "at most 2 characters"),
    ({"contry": "MM"}, "unknown query parameter 'contry'; did you mean 'country'?"),
    ({"market": "muse\x00"}, "control character"),
]


async def test_bad_input_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    for path in (JSON, CSV):
        for params, says in BAD_INPUT:
            response = await client.get(path, params=params)
            assert response.status_code == 422, (path, params, response.text)
            body = response.json()
            assert body["error"] == "invalid_input"
            assert says in str(body["detail"]), (path, params, body)


async def test_dates_and_times_are_those_of_the_market_and_utc(
    client: httpx.AsyncClient, database: Database, stand_at: Any
) -> None:
    # 23:30 UTC is already tomorrow in Yangon: a price of Yangon's today is in the default range.
    stand_at(dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC))
    (today_in_yangon,) = await add_prices(database, {"observed_on": dt.date(2026, 11, 28)})
    body = (await client.get(JSON)).json()
    assert [i["id"] for i in body["items"]] == [today_in_yangon]
    assert body["to"] == "2026-11-28" and body["from"] == "2026-10-29"
    assert clock.utcnow().date() == dt.date(2026, 11, 27)
