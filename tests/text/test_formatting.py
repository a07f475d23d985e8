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
