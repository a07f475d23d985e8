"""Numbers, money, changes and dates for one reader, through Babel's CLDR data.

Babel always writes Latin digits; a reader who wants Burmese, Khmer or Lao digits gets them
from `present()`, which runs last on the whole message.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_currency, format_decimal, get_currency_precision

from app.core.i18n import LOCALES, Translator, translator
from app.text.digits import to_native_digits
from app.text.myanmar import unicode_to_zawgyi
from app.text.sms import is_gsm7, to_gsm7, without_arrows

# Where common use differs from CLDR: riel prices are quoted in whole riel.
CURRENCY_DIGITS: Final = {"KHR": 0}
_FRACTION = re.compile(r"0\.0+")


class Script(enum.StrEnum):
    UNICODE = "unicode"
    ZAWGYI = "zawgyi"  # Myanmar only: phones whose font draws Zawgyi


@dataclass(frozen=True)
class Reader:
    """How one recipient reads: language, Myanmar script, digits, and a cheap-SMS preference."""

    locale: str = "en"
    script: Script = Script.UNICODE
    native_digits: bool = False
    plain_sms: bool = False  # one cheap GSM-7 SMS rather than diacritics (Vietnamese)


def present(text: str, reader: Reader, *, sms: bool = False) -> str:
    """The last step before sending: the reader's digits and script, and GSM-7 if preferred."""
    if reader.native_digits:
        text = to_native_digits(text, reader.locale)
    if reader.script is Script.ZAWGYI and reader.locale == "my":
        text = unicode_to_zawgyi(text)
    if sms:
        if reader.plain_sms:
            text = to_gsm7(text) or text  # scripts without a Latin spelling stay as they are
        elif is_gsm7(plain := without_arrows(text)):
            text = plain  # an arrow alone must not triple the price of an English SMS
    return text


def load_locale_data() -> None:
    """Read Babel's CLDR data of every locale now, at start: on first use it takes tens of
    milliseconds a locale, and the first price question in a language would pay them while it
    holds SQLite's write turn, with every other question waiting behind it."""
    for locale in LOCALES:
        Locale.parse(locale).currency_formats  # noqa: B018 - loading the data is the point


class Formatter:
    """Formats values in one locale. Digits and script are left to `present()`."""

    def __init__(self, locale: str) -> None:
        self.t: Translator = translator(locale)
        self.locale = self.t.locale
        self._babel = Locale.parse(self.locale)

    def number(self, value: Decimal | int, *, decimals: int | None = None) -> str:
        if decimals is not None:
            value = Decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
        return format_decimal(value, locale=self._babel)

    def money(self, amount: Decimal, currency: str) -> str:
        """`amount` in the locale's currency format; whole amounts without a fraction."""
        digits = CURRENCY_DIGITS.get(currency, get_currency_precision(currency))
        amount = amount.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        pattern = self._babel.currency_formats["standard"].pattern
        if digits == 0 or amount == amount.to_integral_value():
            pattern = _FRACTION.sub("0", pattern)
        return format_currency(
            amount, currency, format=pattern, locale=self._babel, currency_digits=False
        )

    def change(self, percent: Decimal | None) -> str:
        """ "▲ +5.2%", "▼ -3.0%", or the localised "no change"."""
        rounded = None if percent is None else percent.quantize(Decimal("0.1"), ROUND_HALF_UP)
        if rounded is None or rounded == 0:
            return self.t.gettext("no change")
        arrow = "▲" if rounded > 0 else "▼"
        sign = "+" if rounded > 0 else "-"
        magnitude = format_decimal(abs(rounded), format="#,##0.0", locale=self._babel)
        return f"{arrow} {sign}{magnitude}%"

    def price(self, amount: Decimal, currency: str, unit: str) -> str:
        return self.t.gettext("{price}/{unit}").format(
            price=self.money(amount, currency), unit=unit
        )

    def date(self, day: dt.date) -> str:
        """Day and month, short: the year is obvious in a price alert."""
        return format_skeleton("MMMd", day, locale=self._babel)

    def long_date(self, day: dt.date) -> str:
        return format_date(day, format="medium", locale=self._babel)

    def datetime(self, moment: dt.datetime, timezone: str) -> str:
        """A moment in the given IANA zone (Asia/Yangon is UTC+06:30)."""
        return format_datetime(
            moment, format="short", tzinfo=ZoneInfo(timezone), locale=self._babel
        )
