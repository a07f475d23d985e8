"""Price tables from CSV files and HTML pages: the Myanmar Market Price Report (wide), a
trade portal's long export, a trade portal's HTML page, and the ways they arrive broken."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.sources.records import CollectorError, PriceRecord, RowProblem
from app.sources.tables import TableMapping
from jobs.collectors import csv_url, html_table
from jobs.collectors.tables import records_from_rows, split_unit

DATA = Path(__file__).resolve().parents[2] / "data" / "collectors"

# The mapping a CDE stores for the Market Price Report, southeast Myanmar: items down the first
# column with their unit in brackets, one column per market, Kyat. The report has no date
# column; the month's date is a default.
MPR_SE: dict[str, Any] = {
    "layout": "wide",
    "ignore": ["Category"],
    "unit_in_name": True,
    "defaults": {
        "currency": "MMK",
        "price_type": "retail",
        "observed_on": "2022-05-15",
        "country": "MM",
    },
}

LONG: dict[str, Any] = {
    "header_row": 1,
    "columns": {
        "observed_on": "Date",
        "market": "Market",
        "commodity": "Commodity",
        "variety": "Variety",
        "price": "Price (MMK/viss)",
        "price_type": "Price type",
    },
    "defaults": {"unit": "viss", "currency": "MMK", "country": "MM"},
    "date_format": "%d/%m/%Y",
}

PORTAL: dict[str, Any] = {
    "table": "Daily wholesale prices",
    "columns": {
        "market": "Market",
        "commodity": "Commodity",
        "unit": "Unit",
        "price": "Price (KHR)",
        "observed_on": "Date",
    },
    "defaults": {"currency": "KHR", "price_type": "wholesale", "country": "KH"},
}


def mapping(base: dict[str, Any], **changes: Any) -> TableMapping:
    return TableMapping.model_validate({**base, **changes})


def by_market_and_item(records: list[PriceRecord]) -> dict[tuple[str, str], PriceRecord]:
    return {(r.market, r.commodity): r for r in records}


# --- the Myanmar Market Price Report (wide) --------------------------------------------------


def test_mpr_2022_05_gives_one_record_per_market_price() -> None:
    parsed = csv_url.parse((DATA / "MPR_SE_2022_05.csv").read_bytes(), mapping(MPR_SE))

    found = by_market_and_item(parsed.records)
    assert found["Kawkareik", "Better Rice"] == PriceRecord(
        key="Kawkareik|Better Rice||1 kg|retail|2022-05-15",
        line=2,
        market="Kawkareik",
        commodity="Better Rice",
        unit="1 kg",
        currency="MMK",
        price=Decimal(1500),
        price_type="retail",
        observed_on=dt.date(2022, 5, 15),
        country="MM",
    )
    shrimp = found["Taungoo", "Shrimp"]
    assert (shrimp.unit, shrimp.price, shrimp.line) == ("1 viss", Decimal(11000), 17)
    assert found["Loikaw", "Palm Oil"].unit == "1 liter"
    assert found["Kawkareik", "Toothpaste"].unit == "140g"
    assert found["Taungoo", "Cooking Pot"].price == Decimal(8000)
    # `nan`: no price that day, skipped without a problem.
    assert ("Loikaw", "Watercress") not in found
    assert ("Loikaw", "Cooking Pot") not in found
    assert {r.market for r in parsed.records} == {"Kawkareik", "Loikaw", "Taungoo"}
    # 23 items with a unit, 3 markets, 2 `nan` cells among them.
    assert len(parsed.records) == 23 * 3 - 2


def test_mpr_items_without_a_unit_are_reported_once_per_row() -> None:
    parsed = csv_url.parse((DATA / "MPR_SE_2022_05.csv").read_bytes(), mapping(MPR_SE))

    assert [p.line for p in parsed.problems] == [12, *range(26, 35)]
    assert parsed.problems[0] == RowProblem(
        12, "no unit: 'Bananas' has none in brackets and there is no unit default"
    )


def test_a_unit_default_covers_items_without_one_in_brackets() -> None:
    defaults = {**MPR_SE["defaults"], "unit": "each"}
    parsed = csv_url.parse(
        (DATA / "MPR_SE_2022_05.csv").read_bytes(), mapping(MPR_SE, defaults=defaults)
    )

    found = by_market_and_item(parsed.records)
    assert parsed.problems == []
    assert (found["Taungoo", "Mosquito Net"].unit, found["Taungoo", "Mosquito Net"].price) == (
        "each",
        Decimal(25000),
    )
    assert found["Taungoo", "Shrimp"].unit == "1 viss"  # the bracket still wins
    assert len(parsed.records) == 33 * 3 - 4  # the four `nan` cells


def test_mpr_2021_10_reads_pandas_floats_and_empty_cells() -> None:
    defaults = {**MPR_SE["defaults"], "observed_on": "2021-10-15"}
    parsed = csv_url.parse(
        (DATA / "MPR_SE_2021_10.csv").read_bytes(), mapping(MPR_SE, defaults=defaults)
    )

    found = by_market_and_item(parsed.records)
    assert {r.market for r in parsed.records} == {"Hpapun", "Hpruso", "Loikaw", "Taungoo"}
    hpapun_rice = found["Hpapun", "Better Rice"]
    assert (hpapun_rice.price, hpapun_rice.unit, hpapun_rice.observed_on) == (
        Decimal("1300.0"),
        "1 kg",
        dt.date(2021, 10, 15),
    )
    assert found["Hpruso", "Pulse"].price == Decimal(4000)
    assert found["Hpapun", "Charcoal"].price == Decimal(375)
    assert ("Hpruso", "Better Rice") not in found  # an empty cell
    assert ("Taungoo", "Sanitary Pad") not in found  # the row's last cell, empty
    assert found["Loikaw", "Sanitary Pad"].unit == "10 pc"


def test_wide_market_columns_can_be_listed() -> None:
    parsed = csv_url.parse(
        (DATA / "MPR_SE_2022_05.csv").read_bytes(), mapping(MPR_SE, markets=["Loikaw"])
    )

    assert {r.market for r in parsed.records} == {"Loikaw"}
    assert len(parsed.records) == 23 - 2


# --- a long CSV export ------------------------------------------------------------------------


def test_long_csv_with_a_date_format() -> None:
    parsed = csv_url.parse((DATA / "trade_portal_prices_long.csv").read_bytes(), mapping(LONG))

    assert parsed.records[0] == PriceRecord(
        key="Bayintnaung|Rice|Emata|viss|Wholesale|2022-05-15",
        line=3,
        market="Bayintnaung",
        commodity="Rice",
        unit="viss",
        currency="MMK",
        price=Decimal(1150),
        price_type="Wholesale",
        observed_on=dt.date(2022, 5, 15),
        variety="Emata",
        country="MM",
    )
    assert [(r.line, r.commodity, r.variety, r.price) for r in parsed.records[1:]] == [
        (4, "Rice", "Paw San", Decimal(1900)),
        (5, "Onion", None, Decimal(1250)),
        (6, "Pulses, green gram", None, Decimal(2480)),
        (7, "Groundnut oil", None, Decimal(8600)),
        (8, "Groundnut oil", None, Decimal(8750)),
        (11, "Rice", "Emata", Decimal(1050)),
    ]
    assert parsed.records[5].observed_on == dt.date(2022, 5, 16)


def test_a_price_of_n_a_is_a_row_problem_and_the_other_rows_are_kept() -> None:
    parsed = csv_url.parse((DATA / "trade_portal_prices_long.csv").read_bytes(), mapping(LONG))

    # Line 9 is "N/A"; line 10's "-" means no price and is skipped silently.
    assert parsed.problems == [RowProblem(9, "price 'N/A' is not a number")]
    assert len(parsed.records) == 7
    assert 10 not in {r.line for r in parsed.records}


def test_a_corrected_price_keeps_its_key() -> None:
    header = ["Date", "Market", "Commodity", "Price"]
    m = TableMapping(
        columns={"observed_on": "Date", "market": "Market", "commodity": "Commodity"}
        | {"price": "Price"},
        defaults={"unit": "kg", "currency": "LAK", "price_type": "retail"},
    )

    first = records_from_rows(
        header, [(2, ["2022-05-15", "Talat Sao", "Rice", "12,000"])], m, source_name="t"
    )
    second = records_from_rows(
        header, [(2, ["2022-05-15", "Talat Sao", "Rice", "12,500"])], m, source_name="t"
    )

    assert first.records[0].key == second.records[0].key == "Talat Sao|Rice||kg|retail|2022-05-15"
    assert second.records[0].price == Decimal(12500)


def test_a_key_column_and_a_second_price_under_one_key() -> None:
    m = TableMapping(
        columns={"key": "ID", "market": "Market", "commodity": "Item", "price": "Price"},
        defaults={
            "unit": "kg",
            "currency": "VND",
            "price_type": "retail",
            "observed_on": "2022-05-15",
        },
        decimal_comma=True,
    )
    rows = [
        (2, ["A-1", "Chợ Bến Thành", "Gạo", "18.500"]),
        (3, ["A-2", "Chợ Bến Thành", "Xoài", "1.234,5"]),
        (4, ["A-1", "Chợ Lớn", "Gạo", "17.000"]),
    ]

    parsed = records_from_rows(["ID", "Market", "Item", "Price"], rows, m, source_name="t")

    assert [(r.key, r.price) for r in parsed.records] == [
        ("A-1", Decimal(18500)),
        ("A-2", Decimal("1234.5")),
    ]
    assert parsed.problems == [RowProblem(4, "a second price for 'A-1' (the first is on line 2)")]


@pytest.mark.parametrize(
    ("cell", "decimal_comma", "expected"),
    [
        ("12,500", False, Decimal(12500)),
        ("1,234.5", False, Decimal("1234.5")),
        ("12 500", False, Decimal(12500)),
        ("၁,၅၀၀", False, Decimal(1500)),
        ("1.234,5", True, Decimal("1234.5")),
        ("1,5", False, "price '1,5' is not a number (a decimal comma? set decimal_comma)"),
        ("12,50,0", False, "price '12,50,0' is not a number (a decimal comma? set decimal_comma)"),
        ("0", False, "price '0' is not more than 0"),
        ("MMK 1500", False, "price 'MMK 1500' is not a number"),
        ("1,234.5", True, "price '1,234.5' is not a number like 1.234,5"),
    ],
)
def test_price_cells(cell: str, decimal_comma: bool, expected: Decimal | str) -> None:
    m = TableMapping(
        columns={"market": "Market", "commodity": "Item", "price": "Price"},
        defaults={
            "unit": "kg",
            "currency": "MMK",
            "price_type": "retail",
            "observed_on": "2022-05-15",
        },
        decimal_comma=decimal_comma,
    )

    parsed = records_from_rows(
        ["Market", "Item", "Price"], [(2, ["Yangon", "Rice", cell])], m, source_name="t"
    )

    if isinstance(expected, Decimal):
        assert [r.price for r in parsed.records] == [expected]
        assert parsed.problems == []
    else:
        assert parsed.records == []
        assert parsed.problems == [RowProblem(2, expected)]


def test_row_problems_for_width_and_dates() -> None:
    m = mapping(LONG, header_row=0)
    header = ["Date", "Market", "Commodity", "Variety", "Price (MMK/viss)", "Price type"]
    rows = [
        (2, ["15/05/2022", "Pathein", "Rice", "", "1,000"]),
        (3, ["2022-05-15", "Pathein", "Rice", "", "1,000", "Wholesale"]),
        (4, ["", "", "", "", "", ""]),
        (5, ["16/05/2022", "Pathein", "Rice", "", "1,010", "Wholesale"]),
    ]

    parsed = records_from_rows(header, rows, m, source_name="t")

    assert parsed.problems == [
        RowProblem(2, "5 cells where the header has 6"),
        RowProblem(3, "date '2022-05-15' does not match '%d/%m/%Y'"),
    ]
    assert [(r.line, r.price) for r in parsed.records] == [(5, Decimal(1010))]


def test_split_unit() -> None:
    assert split_unit("Shrimp (1 viss)") == ("Shrimp", "1 viss")
    assert split_unit("Better Rice (1 kg)") == ("Better Rice", "1 kg")
    assert split_unit("Rice (Emata) ( 1  pyi )") == ("Rice (Emata)", "1 pyi")
    assert split_unit("Bananas") == ("Bananas", None)
    assert split_unit("Soap ()") == ("Soap ()", None)


# --- an HTML page -----------------------------------------------------------------------------


def test_html_table_chosen_by_caption() -> None:
    parsed = html_table.parse((DATA / "trade_portal_prices.html").read_bytes(), mapping(PORTAL))

    assert parsed.records[0] == PriceRecord(
        key="Phsar Doeum Kor|Rice (Phka Rumduol)||kg|wholesale|2022-05-15",
        line=2,
        market="Phsar Doeum Kor",  # written with &nbsp;
        commodity="Rice (Phka Rumduol)",
        unit="kg",
        currency="KHR",
        price=Decimal(3200),
        price_type="wholesale",
        observed_on=dt.date(2022, 5, 15),
        country="KH",
    )
    # Line 4 (a cell of &nbsp; only) has no price, line 5 is the "Provinces" heading and the
    # colspan footer is a note: none of them is a record or a problem.
    assert [(r.line, r.market, r.commodity, r.unit, r.price) for r in parsed.records[1:]] == [
        (3, "Phsar Doeum Kor", "Pork", "kg", Decimal(17500)),
        (6, "Phsar Nat", "Rice (Phka Rumduol)", "kg", Decimal(2950)),
        (7, "Phsar Nat", "Fresh cassava", "tonne", Decimal(1250000)),
    ]
    assert parsed.problems == []


@pytest.mark.parametrize("table", [1, "tbl-prices", "PRICE (KHR)", "phnom penh and provinces"])
def test_html_table_chosen_by_index_id_or_header(table: int | str) -> None:
    parsed = html_table.parse(
        (DATA / "trade_portal_prices.html").read_bytes(), mapping(PORTAL, table=table)
    )

    assert len(parsed.records) == 4


def test_html_tables_are_laid_out_as_shown() -> None:
    page = """
    <table id="layout"><tr><td>Menu</td><td>
      <table><caption>Inner</caption>
        <tr><th>Market<th>Item<th colspan=2>Price
        <tr><td rowspan=2>Pakse<td>Rice<td>9,000<td>10,000
        <tr><td>Fish&nbsp;sauce<td>15,000<td>16,000
      </table>
    </td></tr><tr><td>after</td><td>inner</td></tr></table>
    """

    tables = html_table.read_tables(page)

    assert [(t.index, t.id, t.caption) for t in tables] == [(0, "layout", ""), (1, None, "Inner")]
    assert [row.cells for row in tables[0].rows] == [["Menu", ""], ["after", "inner"]]
    assert [row.cells for row in tables[1].rows] == [
        ["Market", "Item", "Price", "Price"],
        ["Pakse", "Rice", "9,000", "10,000"],
        ["Pakse", "Fish sauce", "15,000", "16,000"],
    ]


def test_html_table_not_found_names_the_tables_of_the_page() -> None:
    with pytest.raises(CollectorError) as caught:
        html_table.parse(
            (DATA / "trade_portal_prices.html").read_bytes(), mapping(PORTAL, table="Retail prices")
        )

    message = str(caught.value)
    assert message.startswith("no table has the id, caption or header 'Retail prices'")
    assert "the page has 2 table(s): #0 (id 'nav'); #1 (caption 'Daily wholesale prices" in message


def test_html_page_without_a_table() -> None:
    page = b"<html><head><title>Maintenance</title></head><body>Back soon</body></html>"

    with pytest.raises(
        CollectorError, match=r"^the page has no table \(its title is 'Maintenance'\)$"
    ):
        html_table.parse(page, mapping(PORTAL))


# --- broken input -----------------------------------------------------------------------------


def test_a_renamed_header_fails_the_run_naming_the_column() -> None:
    content = (
        (DATA / "trade_portal_prices_long.csv")
        .read_bytes()
        .replace(b"Price (MMK/viss)", b"Price (Ks/viss)")
    )

    with pytest.raises(CollectorError) as caught:
        csv_url.parse(content, mapping(LONG))

    assert str(caught.value) == (
        "column 'Price (MMK/viss)' is not in the CSV file; its columns are: 'Date', 'Region', "
        "'Market', 'Commodity', 'Variety', 'Price (Ks/viss)', 'Price type'"
    )


def test_a_renamed_market_column_fails_the_run() -> None:
    with pytest.raises(CollectorError, match="column 'Hpapun' is not in the CSV file"):
        csv_url.parse(
            (DATA / "MPR_SE_2022_05.csv").read_bytes(), mapping(MPR_SE, markets=["Hpapun"])
        )


def test_a_csv_cut_off_mid_row_fails_the_run() -> None:
    content = (DATA / "MPR_SE_2022_05.csv").read_bytes()
    cut = content[: content.index(b'"12,500"') + 4]  # Shrimp, line 17, inside a quoted price

    with pytest.raises(CollectorError, match=r"^line 17: unexpected end of data$"):
        csv_url.parse(cut, mapping(MPR_SE))


def test_an_html_page_served_instead_of_the_csv_fails_the_run() -> None:
    page = (
        b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
        b"<body><h1>Service Unavailable</h1></body></html>"
    )

    with pytest.raises(CollectorError) as caught:
        csv_url.parse(page, mapping(MPR_SE))

    assert str(caught.value) == (
        "expected a CSV file but got an HTML page ('503 Service Unavailable')"
    )


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b" \r\n\r\n"])
def test_an_empty_csv_fails_the_run(content: bytes) -> None:
    with pytest.raises(CollectorError, match=r"^the file is empty$"):
        csv_url.parse(content, mapping(MPR_SE))


def test_a_csv_with_only_a_header_fails_the_run() -> None:
    with pytest.raises(CollectorError, match=r"^the CSV file has a header but no rows$"):
        csv_url.parse(b",Category,Loikaw\r\n", mapping(MPR_SE))


def test_csv_that_is_not_utf8_fails_the_run() -> None:
    with pytest.raises(
        CollectorError, match=r"^the file cannot be read as text: .*\(bad byte 0xe9 at offset 12\)$"
    ):
        csv_url.parse(b",Category,Ca\xe9\n", mapping(MPR_SE))


def test_semicolons_and_utf16_are_read() -> None:
    text = "Market;Item;Price\r\nYangon;Rice (1 kg);1.500,0\r\n"
    m = TableMapping(
        columns={"market": "Market", "commodity": "Item", "price": "Price"},
        unit_in_name=True,
        decimal_comma=True,
        defaults={"currency": "MMK", "price_type": "retail", "observed_on": "2022-05-15"},
    )

    parsed = csv_url.parse(text.encode("utf-16"), m)

    assert [(r.commodity, r.unit, r.price, r.line) for r in parsed.records] == [
        ("Rice", "1 kg", Decimal(1500), 2)
    ]


# --- the mapping ------------------------------------------------------------------------------


def test_a_mapping_without_a_currency_is_invalid() -> None:
    defaults = {k: v for k, v in MPR_SE["defaults"].items() if k != "currency"}

    with pytest.raises(ValidationError, match="nothing gives currency"):
        mapping(MPR_SE, defaults=defaults)


def test_an_unknown_mapping_key_is_invalid() -> None:
    with pytest.raises(ValidationError) as caught:
        mapping(MPR_SE, unit_in_names=True)

    assert caught.value.errors()[0]["type"] == "extra_forbidden"
    assert caught.value.errors()[0]["loc"] == ("unit_in_names",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"columns": {**LONG["columns"], "prize": "Price"}},
            "unknown field(s) in columns: 'prize'",
        ),
        ({"defaults": {**LONG["defaults"], "price": "100"}}, "price cannot have a default"),
        ({"date_format": "%d/%m"}, "date_format '%d/%m' does not read a full date"),
        ({"markets": ["Yangon"]}, "markets is only for wide tables"),
        (
            {"defaults": {**LONG["defaults"], "observed_on": "15/05/2022"}},
            "does not match YYYY-MM-DD",
        ),
        ({"defaults": {**LONG["defaults"], "country": "Myanmar"}}, "two capital letters"),
        ({"columns": {**LONG["columns"], "variety": "Commodity"}}, "mapped to both commodity"),
        ({"layout": "wide"}, "a wide table has no market, price column or default"),
        ({"header_row": -1}, "greater than or equal to 0"),
    ],
)
def test_invalid_mappings(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        mapping(LONG, **changes)


def test_the_mpr_mapping_round_trips_through_json() -> None:
    stored = mapping(MPR_SE).model_dump_json(exclude_defaults=True)

    assert TableMapping.model_validate_json(stored) == mapping(MPR_SE)
