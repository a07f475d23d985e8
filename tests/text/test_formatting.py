from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.text.formatting import Formatter, Reader, Script, present


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("km", "15000.40", "KHR", "15,000៛"),  # riel: whole riel, whatever CLDR says
        ("en", "15000.40", "KHR", "KHR15,000"),
        ("my", "1500000", "MMK", "1,500,000\u00a0K"),
        ("lo", "25000", "LAK", "₭25.000"),
        ("vi", "25000.7", "VND", "25.001\u00a0₫"),
        ("en", "75", "USD", "$75"),  # whole amounts without ".00"
        ("en", "1.4", "USD", "$1.40"),
        ("zh", "12600", "CNY", "¥12,600"),
    ],
)
def test_money(locale: str, amount: str, currency: str, expected: str) -> None:
    assert Formatter(locale).money(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("locale", "percent", "expected"),
    [
        ("en", "5.24", "▲ +5.2%"),
        ("en", "-3", "▼ -3.0%"),
        ("vi", "12.25", "▲ +12,3%"),
        ("en", "0.04", "no change"),
        ("my", "0", "မပြောင်းလဲ"),
    ],
)
def test_change_has_sign_and_arrow(locale: str, percent: str, expected: str) -> None:
    assert Formatter(locale).change(Decimal(percent)) == expected


def test_times_are_shown_in_the_market_time_zone() -> None:
    moment = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
    assert Formatter("en").datetime(moment, "Asia/Yangon") == "11/27/26, 9:30\u202fAM"  # +06:30
    assert Formatter("en").datetime(moment, "Asia/Phnom_Penh") == "11/27/26, 10:00\u202fAM"
    assert Formatter("vi").datetime(moment, "Asia/Ho_Chi_Minh") == "10:00 27/11/26"


def test_dates_in_each_locale() -> None:
    day = dt.date(2026, 11, 27)
    assert Formatter("en").date(day) == "Nov 27"
    assert Formatter("km").date(day) == "27 វិច្ឆិកា"
    assert Formatter("zh").date(day) == "11月27日"
    assert Formatter("en").full_date(day) == "Nov 27, 2026"
    assert Formatter("vi").full_date(day) == "27 thg 11, 2026"


def test_dates_with_their_year_for_what_is_read_long_after() -> None:
    day = dt.date(2026, 11, 27)
    assert Formatter("en").full_date(day) == "Nov 27, 2026"
    assert Formatter("my").full_date(day) == "2026 နို 27"
    assert Formatter("zh").full_date(day) == "2026年11月27日"
    assert Formatter("km_Latn").full_date(day) == "27/11/2026"


def test_names_are_listed_the_way_each_language_lists() -> None:
    markets = ["Muse", "Mandalay", "Yangon"]
    assert Formatter("en").names(markets) == "Muse, Mandalay, and Yangon"
    assert Formatter("my").names(["မူဆယ်", "မန္တလေး"]) == "မူဆယ် နှင့် မန္တလေး"
    assert Formatter("zh").names(["木姐", "曼德勒", "仰光"]) == "木姐、曼德勒和仰光"
    assert Formatter("km_Latn").names(["Phnom Srok", "Siem Reap"]) == "Phnom Srok, Siem Reap"
    assert Formatter("vi").names(["Hà Nội"]) == "Hà Nội"
    assert Formatter("vi").names([]) == ""


def test_price_per_localised_unit() -> None:
    assert Formatter("my").price(Decimal("15000"), "MMK", "ပိဿာ") == "15,000\u00a0K/ပိဿာ"
    assert Formatter("en").price(Decimal("75"), "USD", "kg") == "$75/kg"


def test_presentation_in_native_digits_and_zawgyi() -> None:
    assert present("12,600 K", Reader("my", native_digits=True)) == "၁၂,၆၀၀ K"
    assert present("12,600៛", Reader("km", native_digits=True)) == "១២,៦០០៛"
    assert present("₭12.600", Reader("lo", native_digits=True)) == "₭໑໒.໖໐໐"
    assert present("ဈေး 1", Reader("my", script=Script.ZAWGYI)) == "ေဈး 1"
    # Zawgyi is a Myanmar choice; other locales are never touched by it.
    assert present("ဈေး", Reader("en", script=Script.ZAWGYI)) == "ဈေး"


def test_sms_presentation_drops_arrows_only_when_that_saves_money() -> None:
    assert present("Mango: $75 (▲ +5.0%)", Reader("en"), sms=True) == "Mango: $75 (+5.0%)"
    assert present("Mango: $75 (▲ +5.0%)", Reader("en")) == "Mango: $75 (▲ +5.0%)"  # Telegram
    assert present("ស្វាយ (▲ +5.0%)", Reader("km"), sms=True) == "ស្វាយ (▲ +5.0%)"


# --- rounding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("en", "2.5", "MMK", "MMK3"),  # kyat has no minor unit: half a kyat rounds up
        ("en", "3.5", "MMK", "MMK4"),  # half-even would give 4 here and 2 above
        ("en", "0.125", "USD", "$0.13"),
        ("en", "0.135", "USD", "$0.14"),
        ("km", "12600.5", "KHR", "12,601៛"),
        ("en", "-2.5", "MMK", "-MMK3"),  # half away from zero, as people round money
    ],
)
def test_amounts_round_half_up(locale: str, amount: str, currency: str, expected: str) -> None:
    assert Formatter(locale).money(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [("2.5", 0, "3"), ("0.5", 0, "1"), ("1.25", 1, "1.3"), ("1.0005", None, "1.001")],
)
def test_numbers_round_half_up(value: str, decimals: int | None, expected: str) -> None:
    # Babel alone rounds half to even (2.5 -> 2, 1.0005 -> 1): every figure here is half up.
    assert Formatter("en").number(Decimal(value), decimals=decimals) == expected


def test_a_change_of_a_half_tenth_rounds_up() -> None:
    assert Formatter("en").change(Decimal("0.05")) == "▲ +0.1%"
    assert Formatter("en").change(Decimal("-0.05")) == "▼ -0.1%"


# --- Latin letters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("km_Latn", "12600.4", "KHR", "12,600 riel"),  # Khmer number rules, whole riel
        ("lo_Latn", "25000.5", "LAK", "25.001 kip"),  # Lao groups with "." as CLDR says
        ("my_Latn", "1500000", "MMK", "1,500,000 kyat"),  # Latin digits, not Burmese ones
        ("my_Latn", "12600", "CNY", "12,600 yuan"),
        ("km_Latn", "1.5", "USD", "1.5 USD"),
    ],
)
def test_romanised_money_is_plain_ascii(
    locale: str, amount: str, currency: str, expected: str
) -> None:
    assert Formatter(locale).money(Decimal(amount), currency) == expected


def test_romanised_dates_are_numeric_and_numbers_follow_the_base_language() -> None:
    day = dt.date(2026, 11, 27)
    khmer = Formatter("km_Latn")
    assert (khmer.locale, khmer.date(day)) == ("km_Latn", "27/11")
    assert khmer.full_date(day) == "27/11/2026"
    moment = dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC)
    assert Formatter("my_Latn").datetime(moment, "Asia/Yangon") == "27/11/2026 07:00"
    assert Formatter("lo_Latn").number(Decimal("1234.5")) == "1.234,5"
    assert Formatter("km_Latn").change(Decimal("5")) == "▲ +5.0%"  # present() drops the arrow
    assert Formatter("km_Latn").change(None) == "dodel"


def test_native_digits_never_reach_a_latin_reader() -> None:
    reader = Reader(locale="km_Latn", script=Script.LATIN, native_digits=True)
    assert present("svay 4,200 riel (▲ +5.0%)", reader, sms=True) == "svay 4,200 riel (+5.0%)"
