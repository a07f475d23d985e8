"""Native digits: Burmese ၀-၉, Khmer ០-៩, Lao ໐-໙ (and Thai ๐-๙ on input)."""

from __future__ import annotations

from typing import Final

# The zero of each script's decimal digits; the other nine follow it in Unicode order.
NATIVE_ZERO: Final = {"my": 0x1040, "km": 0x17E0, "lo": 0x0ED0}
_INPUT_ZEROS: Final = (0x1040, 0x1090, 0x17E0, 0x0ED0, 0x0E50)  # + Shan digits and Thai

_TO_ASCII = {zero + i: str(i) for zero in _INPUT_ZEROS for i in range(10)}
_TO_NATIVE = {
    locale: str.maketrans({str(i): chr(zero + i) for i in range(10)})
    for locale, zero in NATIVE_ZERO.items()
}


def to_ascii_digits(text: str) -> str:
    """Map Myanmar, Shan, Khmer, Lao and Thai digits to 0-9, so numbers parse alike."""
    return text.translate(_TO_ASCII)


def to_native_digits(text: str, locale: str) -> str:
    """Write 0-9 in the script of `locale`; locales without native digits are unchanged.

    Babel formats with Latin digits whatever the locale, so this runs on its output.
    """
    table = _TO_NATIVE.get(locale)
    return text.translate(table) if table else text
