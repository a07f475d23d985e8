"""The WFP food-price CSV in its three generations, read by column name, and the CKAN record
that says where the file is and when it last changed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.sources.records import CollectorError
from jobs.collectors import wfp_hdx

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "collectors"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_fourteen_columns_with_the_hxl_row() -> None:
    parsed = wfp_hdx.parse(read("wfp_food_prices_mmr_sample.csv"))
    assert (len(parsed.records), parsed.problems) == (317, [])
    first = parsed.records[0]
    assert first.line == 3  # the header and the #tag row come first
    assert (first.market, first.commodity, first.unit, first.price_type, first.currency) == (
        "Yangon",
        "Oil (groundnut)",
        "1.6 KG",
        "Retail",
        "MMK",
    )
    assert dict(first.market_info) == {
        "admin1": "Yangon",
        "admin2": "Yangon (West)",
        "latitude": "16.8",
        "longitude": "96.15",
    }
    assert len({r.key for r in parsed.records}) == 317


def test_sixteen_columns_without_the_hxl_row() -> None:
    parsed = wfp_hdx.parse(read("wfp_food_prices_blr_format2026.csv"))
    assert (len(parsed.records), parsed.problems) == (483, [])
    first = parsed.records[0]
    assert (first.observed_on, first.commodity, first.price) == (
        dt.date(2009, 1, 15),
        "Bread (high grade flour)",
        Decimal("0.25"),
    )
    assert dict(first.market_info)["market_id"] == "2618"


def test_the_global_file_names_each_row_s_country() -> None:
    parsed = wfp_hdx.parse(read("wfp_food_prices_global_2024_format2026_excerpt.csv"))
    assert parsed.records and not parsed.problems
    assert {r.country for r in parsed.records} >= {"NIC"}  # no alpha-2 known: kept as given
    assert all(r.key.startswith(f"{r.country}|") for r in parsed.records)


OLD = "date,admin1,admin2,market,latitude,longitude,category,commodity,unit,priceflag," + (
    "pricetype,currency,price,usdprice\n"
)
NEW = "date,admin1,admin2,market,market_id,latitude,longitude,category,commodity,commodity_id," + (
    "unit,priceflag,pricetype,currency,price,usdprice\n"
)


def test_the_same_row_has_the_same_key_in_every_generation() -> None:
    a = wfp_hdx.parse(
        (
            OLD + "2022-05-15,Shan (North),Muse,Muse,23.99,97.9,cereals,Rice (low quality),"
            "KG,actual,Retail,MMK,900,0.5\n"
        ).encode()
    )
    b = wfp_hdx.parse(
        (
            NEW + "2022-05-15,Shan (North),Muse,Muse,1,23.99,97.9,cereals,Rice (low quality),2,"
            "KG,actual,Retail,MMK,900,0.5\n"
        ).encode()
    )
    assert a.records[0].key == b.records[0].key


def test_a_spreadsheet_re_save_is_refused_row_by_row_with_reasons() -> None:
    parsed = wfp_hdx.parse(read("wfp_food_prices_vnm_commoditypredict_copy.csv"))
    assert parsed.records == []
    reasons = {
        p.reason.split(" is ")[-1] if "date" in p.reason else p.reason for p in parsed.problems
    }
    assert "not YYYY-MM-DD" in reasons
    assert "priceflag 'forecast': not an observed price" in {p.reason for p in parsed.problems}
    assert len(parsed.problems) == 389


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><title>Maintenance</title></html>", "HTML page"),
        (b"date,market_name,commodity,unit,pricetype,currency,price\n", "no column market"),
        (read("wfp_food_prices_mmr_sample.csv")[:3000], "cut off"),
        (read("wfp_food_prices_mmr_sample.csv") + b'2016-01-15,"Shan', "line"),
    ],
    ids=["empty", "html", "renamed header", "cut mid-row", "cut in a quote"],
)
def test_a_file_that_cannot_be_read_whole_is_refused(content: bytes, reason: str) -> None:
    with pytest.raises(CollectorError, match=reason):
        wfp_hdx.parse(content)


def test_a_bad_row_is_a_problem_and_the_others_are_kept() -> None:
    header = read("wfp_food_prices_mmr_sample.csv").split(b"\n")[:4]
    bad = (
        b"2022-05-15,Kachin,Bhamo,Bhamo,24.2,97.2,cereals and tubers,Rice (low quality),"
        b"KG,actual,Retail,MMK,N/A,0.3"
    )
    parsed = wfp_hdx.parse(b"\n".join([*header, bad, b""]))
    assert len(parsed.records) == 2
    assert [(p.line, p.reason) for p in parsed.problems] == [(5, "price 'N/A' is not a number")]


def ckan(*resources: dict[str, str]) -> bytes:
    return json.dumps({"success": True, "result": {"resources": list(resources)}}).encode()


def test_the_price_file_among_the_dataset_s_resources() -> None:
    found = wfp_hdx.find_resource(
        ckan(
            {
                "name": "wfp_markets_mmr.csv",
                "format": "CSV",
                "url": "https://x/wfp_markets_mmr.csv",
            },
            {
                "name": "wfp_food_prices_mmr.csv",
                "format": "CSV",
                "url": "https://x/wfp_food_prices_mmr.csv",
                "last_modified": "2026-11-20T08:12:00",
            },
        )
    )
    assert found == wfp_hdx.Resource("https://x/wfp_food_prices_mmr.csv", "2026-11-20T08:12:00")
    with pytest.raises(CollectorError, match="no food-price CSV"):
        wfp_hdx.find_resource(ckan({"name": "QuickCharts", "format": "JSON", "url": "https://x/q"}))
    with pytest.raises(CollectorError, match="package_show failed: Not found"):
        wfp_hdx.find_resource(json.dumps({"success": False, "error": "Not found"}).encode())
