"""The Central Bank of Myanmar and currency-api rate parsers against recorded payloads
(tests/data/collectors) and broken payloads made from them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.sources.records import CollectorError, RateRecord, RowProblem
from jobs.collectors import cbm_fx, currency_api

DATA = Path(__file__).resolve().parents[2] / "data" / "collectors"
CBM_HISTORY = (DATA / "cbm_history_2022-06-28.json").read_bytes()
CBM_LATEST = (DATA / "cbm_latest_2021-10-15_as_copied.json").read_bytes()
CURRENCY_API = (DATA / "fawazahmed0_currency_api_usd_2024-02-19.json").read_bytes()


def by_base(records: list[RateRecord]) -> dict[str, Decimal]:
    return {r.base: r.rate for r in records}


def cbm(rates: dict[str, object], timestamp: object = 1656374400) -> bytes:
    payload = {"info": "Central Bank of Myanmar", "timestamp": timestamp, "rates": rates}
    return json.dumps(payload).encode()


def usd_file(rates: dict[str, object], date: str = "2024-02-19") -> bytes:
    return json.dumps({"date": date, "usd": rates}).encode()


# --- Central Bank of Myanmar ----------------------------------------------------------------


def test_cbm_urls() -> None:
    assert cbm_fx.latest_url() == "https://forex.cbm.gov.mm/api/latest"
    assert (
        cbm_fx.history_url(dt.date(2022, 6, 8)) == "https://forex.cbm.gov.mm/api/history/08-06-2022"
    )
    assert cbm_fx.history_url(dt.date(2021, 10, 15), "http://cbm.test/api/") == (
        "http://cbm.test/api/history/15-10-2021"
    )


def test_cbm_history_payload_in_mmk_per_unit() -> None:
    parsed = cbm_fx.parse(CBM_HISTORY)

    assert parsed.problems == []
    assert len(parsed.records) == 38
    assert {(r.quote, r.on_date) for r in parsed.records} == {("MMK", dt.date(2022, 6, 28))}
    rates = by_base(parsed.records)
    assert rates["USD"] == Decimal("1850.0")  # "1,850.0": thousands comma
    assert rates["CNY"] == Decimal("276.72")
    assert rates["THB"] == Decimal("52.714")
    assert rates["KWD"] == Decimal("6033.2")
    # Quoted per 100 units: "1,363.4" MMK for 100 yen is 13.634 MMK for one.
    assert rates["JPY"] == Decimal("13.634")
    assert rates["VND"] == Decimal("0.079543")
    assert rates["KHR"] == Decimal("0.45488")
    assert rates["LAK"] == Decimal("0.12419")
    assert rates["IDR"] == Decimal("0.12469")
    assert rates["KRW"] == Decimal("1.4402")


def test_cbm_latest_payload_with_string_timestamp_and_kyat_entry() -> None:
    parsed = cbm_fx.parse(CBM_LATEST)

    assert parsed.problems == []  # the "MMK": "1" entry is skipped without a word
    assert "MMK" not in by_base(parsed.records)
    assert len(parsed.records) == 38
    # "1634284800" is 2021-10-15 08:00 UTC, 14:30 in Yangon.
    assert {r.on_date for r in parsed.records} == {dt.date(2021, 10, 15)}
    rates = by_base(parsed.records)
    assert rates["USD"] == Decimal("1830.4")
    assert rates["JPY"] == Decimal("16.019")
    assert rates["VND"] == Decimal("0.080420")


def test_cbm_day_is_the_day_in_yangon() -> None:
    # 2021-10-14 18:00 UTC is already 00:30 on the 15th in Yangon (UTC+6:30).
    parsed = cbm_fx.parse(cbm({"USD": "1,830.4"}, timestamp=1634234400))

    assert parsed.records == [RateRecord("USD", "MMK", Decimal("1830.4"), dt.date(2021, 10, 15))]


def test_cbm_rates_given_as_json_numbers() -> None:
    parsed = cbm_fx.parse(cbm({"USD": 1850, "THB": 52.714, "JPY": 1363.4}))

    assert parsed.problems == []
    assert by_base(parsed.records) == {
        "USD": Decimal(1850),
        "THB": Decimal("52.714"),
        "JPY": Decimal("13.634"),
    }


def test_cbm_bad_rates_are_row_problems_and_the_others_are_kept() -> None:
    payload = cbm(
        {
            "USD": "0",
            "THB": "N/A",
            "CNY": "276.72",
            "EUR": "",
            "SGD": "-",
            "INR": "-23.480",
            "MMK": "1",
            "GBP": "1,2720",  # a comma where no thousands separator goes
            "US$": "1,850.0",
            "JPY": "1,363.4",
            "CHF": None,
        }
    )

    parsed = cbm_fx.parse(payload)

    assert by_base(parsed.records) == {"CNY": Decimal("276.72"), "JPY": Decimal("13.634")}
    assert parsed.problems == [
        RowProblem(1, 'USD: rate "0" is not a positive number'),
        RowProblem(2, 'THB: rate "N/A" is not a positive number'),
        RowProblem(4, 'EUR: rate "" is not a positive number'),
        RowProblem(5, 'SGD: rate "-" is not a positive number'),
        RowProblem(6, 'INR: rate "-23.480" is not a positive number'),
        RowProblem(8, 'GBP: rate "1,2720" is not a positive number'),
        RowProblem(9, 'currency code "US$" is not 3 letters (rate "1,850.0")'),
        RowProblem(11, "CHF: rate null is not a positive number"),
    ]


def test_cbm_html_page_instead_of_json() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head></html>"

    with pytest.raises(CollectorError, match="HTML page, not JSON"):
        cbm_fx.parse(page)


def test_cbm_truncated_payload() -> None:
    with pytest.raises(CollectorError, match="not valid JSON and looks cut off"):
        cbm_fx.parse(CBM_HISTORY[:300])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b'["USD", "1,850.0"]', "JSON but not an object"),
        (b'{"rates": {"USD": "1,850.0"}}', 'has no "timestamp"'),
        (cbm({"USD": "1"}, timestamp="28-06-2022"), 'invalid timestamp "28-06-2022"'),
        (cbm({"USD": "1"}, timestamp=True), "invalid timestamp true"),
        (cbm({"USD": "1"}, timestamp=-5), "invalid timestamp -5"),
        (cbm({"USD": "1"}, timestamp=10**20), "invalid timestamp"),
        (b'{"timestamp": 1656374400}', r'has no rates \("rates" is null\)'),
        (cbm({}), r'has no rates \("rates" is \{\}\)'),
        (b'{"timestamp": 1656374400, "rates": ["USD"]}', "has no rates"),
    ],
)
def test_cbm_unusable_payloads(content: bytes, message: str) -> None:
    with pytest.raises(CollectorError, match=message):
        cbm_fx.parse(content)


def test_cbm_timestamp_in_the_future() -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())

    with pytest.raises(CollectorError, match="timestamp in the future"):
        cbm_fx.parse(cbm({"USD": "1,850.0"}, timestamp=now + 3 * 86400))
    # Within a day is a clock a little ahead, not a broken payload.
    assert len(cbm_fx.parse(cbm({"USD": "1,850.0"}, timestamp=now + 3600)).records) == 1


# --- currency-api ---------------------------------------------------------------------------


def test_currency_api_file_gives_the_regions_currencies_only() -> None:
    parsed = currency_api.parse(CURRENCY_API)

    assert parsed.problems == []
    assert [r.quote for r in parsed.records] == ["MMK", "KHR", "LAK", "VND", "CNY", "THB"]
    assert {(r.base, r.on_date) for r in parsed.records} == {("USD", dt.date(2024, 2, 19))}
    rates = {r.quote: r.rate for r in parsed.records}
    assert rates["MMK"] == Decimal("2098.91550805")  # digits as written, not a float's
    assert rates["KHR"] == Decimal("4083.70612644")
    assert rates["LAK"] == Decimal("20772.96839421")
    assert rates["VND"] == Decimal("24429.54996047")
    assert rates["CNY"] == Decimal("7.19542497")
    assert rates["THB"] == Decimal("35.96045429")


def test_currency_api_requested_currencies_and_a_missing_one() -> None:
    assert currency_api.DEFAULT_URL.endswith("/v1/currencies/usd.min.json")

    parsed = currency_api.parse(CURRENCY_API, currencies=("btc", "XYZ", "eur"))

    assert [(r.quote, r.rate) for r in parsed.records] == [
        ("BTC", Decimal("0.0000191764")),
        ("EUR", Decimal("0.92752248")),
    ]
    assert parsed.problems == [RowProblem(2, "XYZ: not in the file")]


def test_currency_api_bad_values_are_row_problems() -> None:
    content = usd_file(
        {"mmk": 0, "khr": None, "lak": "N/A", "vnd": -24429.5, "cny": 7.1954, "thb": "35.96"}
    )

    parsed = currency_api.parse(content)

    assert {r.quote: r.rate for r in parsed.records} == {
        "CNY": Decimal("7.1954"),
        "THB": Decimal("35.96"),
    }
    assert parsed.problems == [
        RowProblem(1, "MMK: rate 0 is not a positive number"),
        RowProblem(2, "KHR: rate null is not a positive number"),
        RowProblem(3, 'LAK: rate "N/A" is not a positive number'),
        RowProblem(4, "VND: rate -24429.5 is not a positive number"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "HTML page, not JSON"),
        (CURRENCY_API[:5000], "not valid JSON and looks cut off"),
        (b'{"usd": {"mmk": 2098.9}}', 'no "date"'),
        (usd_file({"mmk": 2098.9}, date="19/02/2024"), 'invalid date "19/02/2024"'),
        (usd_file({"mmk": 2098.9}, date="2024-02-30"), 'invalid date "2024-02-30"'),
        (b'{"date": "2024-02-19"}', "no base currency object"),
        (
            b'{"date": "2024-02-19", "usd": {}, "eur": {}}',
            r'2 base currency objects \("usd", "eur"',
        ),
        (b'{"date": "2024-02-19", "usd": 1}', "not an object of rates"),
    ],
)
def test_currency_api_unusable_files(content: bytes, message: str) -> None:
    with pytest.raises(CollectorError, match=message):
        currency_api.parse(content)
