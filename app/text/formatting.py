"""Numbers, money, changes and dates for one reader, through Babel's CLDR data.

Babel always writes Latin digits; a reader who wants Burmese, Khmer or Lao digits gets them
from `present()`, which runs last on the whole message.

Amounts round half up, as people round money: MMK 2.5 is 3, USD 0.125 is 0.13 (Babel's own
default is half-even, which would write 2). Every rounding here says ROUND_HALF_UP.

The romanised catalogs (km_Latn, lo_Latn, my_Latn) have no CLDR data: they are formatted with
their base language's number rules, Latin digits, ASCII currency names and numeric dates, so
that the whole message stays plain GSM-7.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, get_currency_precision

from app.core.errors import InvalidInput
from app.core.i18n import LOCALES, ROMANISED, Translator, base_language, romanised, translator
from app.text.digits import to_native_digits
from app.text.myanmar import unicode_to_zawgyi
from app.text.sms import is_gsm7, to_gsm7, without_arrows

# Where common use differs from CLDR: riel prices are quoted in whole riel.
CURRENCY_DIGITS: Final = {"KHR": 0}
# How the currencies of the region are written in Latin letters in a text message; CLDR's
# symbols (៛, ₭, K) are not GSM-7 or mean nothing to a producer. Others show their ISO code.
LATIN_CURRENCY: Final = {
    "MMK": "kyat",
    "KHR": "riel",
    "LAK": "kip",
    "THB": "baht",
    "VND": "dong",
    "CNY": "yuan",
}
_FRACTION = re.compile(r"0\.0+")


class Script(enum.StrEnum):
    UNICODE = "unicode"
    ZAWGYI = "zawgyi"  # Myanmar only: phones whose font draws Zawgyi
    LATIN = "latin"  # Burmese, Khmer, Lao romanised in ASCII: phones that cannot draw the script


def reading_locale(locale: str, script: Script) -> str:
    """The catalog a reader of `locale` in `script` reads: km_Latn for Khmer in Latin letters.
    A locale that is written in Latin letters anyway (en, vi) reads its own catalog."""
    if script is Script.LATIN and locale in ROMANISED:
        return romanised(locale)
    return locale


def check_script(locale: str, script: Script) -> Script:
    """`script` if `locale` can be read in it: the Latin script is for the languages with a
    romanised catalog, and English and Vietnamese, which are written in it anyway."""
    if script is Script.LATIN and locale not in ROMANISED and locale not in ("en", "vi"):
        raise InvalidInput(
            f"script latin is for {', '.join(ROMANISED)} (and en, vi, which are Latin already); "
            f"locale {locale} has no Latin-script catalog"
        )
    return script


@dataclass(frozen=True)
class Reader:
    """How one recipient reads: language, Myanmar script, digits, and a cheap-SMS preference."""

    locale: str = "en"  # a message locale: km, or km_Latn for a Latin-script reader
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


def _is_romanised(locale: str) -> bool:
    return locale in ROMANISED.values()


class Formatter:
    """Formats values in one locale. Digits and script are left to `present()`."""

    def __init__(self, locale: str) -> None:
        self.t: Translator = translator(locale)
        self.locale = self.t.locale
        self.latin = _is_romanised(self.locale)
        # Babel has no km_Latn: the base language's CLDR rules (grouping, decimal sign) apply.
        self._babel = Locale.parse(base_language(self.locale))

    def number(self, value: Decimal | int, *, decimals: int | None = None) -> str:
        # Babel would round what its pattern cannot show half-even (2.5 -> 2); quantizing first
        # to at most three places, half up, keeps Babel from rounding at all.
        places = 3 if decimals is None else decimals
        value = Decimal(value)
        quantized = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if decimals is None:
            quantized = quantized.normalize() if quantized != quantized.to_integral() else quantized
        return format_decimal(quantized, locale=self._babel)

    def money(self, amount: Decimal, currency: str) -> str:
        """`amount` in the locale's currency format; whole amounts without a fraction."""
        digits = CURRENCY_DIGITS.get(currency, get_currency_precision(currency))
        amount = amount.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        if self.latin:
            number = format_decimal(
                amount, format="#,##0.##" if digits else "#,##0", locale=self._babel
            )
            return f"{number} {LATIN_CURRENCY.get(currency, currency)}"
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

    def names(self, names: Sequence[str]) -> str:
        """Names listed the way the locale writes a list ("Muse, Mandalay, and Yangon",
        "木姐、曼德勒和仰光"); commas alone in a romanised locale, whose base language's word
        for "and" is in that language's script."""
        if self.latin:
            return ", ".join(names)
        return format_list(list(names), style="standard", locale=self._babel)

    def date(self, day: dt.date) -> str:
        """Day and month, short: the year is obvious in a price alert."""
        if self.latin:
            return f"{day.day}/{day.month}"  # the base language's month names are in its script
        return format_skeleton("MMMd", day, locale=self._babel)

    def full_date(self, day: dt.date) -> str:
        """Day, month and year: for lists and tables that reach back over years, and for what is
        read long after, such as a share card forwarded from chat to chat."""
        if self.latin:
            return f"{day.day}/{day.month}/{day.year}"
        return format_skeleton("yMMMd", day, locale=self._babel)

    def datetime(self, moment: dt.datetime, timezone: str) -> str:
        """A moment in the given IANA zone (Asia/Yangon is UTC+06:30)."""
        if self.latin:
            local = moment.astimezone(ZoneInfo(timezone))
            return f"{local.day}/{local.month}/{local.year} {local:%H:%M}"
        return format_datetime(
            moment, format="short", tzinfo=ZoneInfo(timezone), locale=self._babel
        )
