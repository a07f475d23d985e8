"""SMS arithmetic: which encoding a text needs, how many segments it costs, and a GSM-7
transliteration for producers who prefer one cheap SMS to diacritics.

GSM-7 (3GPP TS 23.038) fits 160 septets in one SMS and 153 per part of a longer one; the
extension characters cost two septets and an escape pair is never split across parts. Any other
character forces UCS-2: 70 UTF-16 code units in one SMS, 67 per part, and a surrogate pair (an
emoji) is never split either.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

SINGLE: Final = {"gsm7": 160, "ucs2": 70}
PER_PART: Final = {"gsm7": 153, "ucs2": 67}

# What a producer's phone can show without diacritics; everything else is spelled out or dropped.
_TRANSLITERATE: Final = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "₫": "d",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "×": "x",
        "≈": "~",
        "•": "-",
        "·": "-",
    }
)
# Direction arrows: the sign beside them says the same, and they alone would force UCS-2.
_ARROWS = re.compile(r"[▲▼↑↓]\s?")


class Encoding(enum.StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SmsInfo:
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    def cost(self, price_per_segment: Decimal) -> Decimal:
        return price_per_segment * self.segments


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(ch: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def analyse(text: str) -> SmsInfo:
    """Encoding, length in units, and segments of `text` as one (possibly long) SMS."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    units = sum(_units(ch, encoding) for ch in text)
    if units <= SINGLE[encoding]:
        return SmsInfo(encoding, units, 1 if units else 0)
    return SmsInfo(encoding, units, len(split(text)))


def split(text: str) -> list[str]:
    """The parts a phone receives; a character's units are never divided between two parts."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    total = sum(_units(ch, encoding) for ch in text)
    if total <= SINGLE[encoding]:
        return [text] if text else []
    limit = PER_PART[encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = _units(ch, encoding)
        if used + size > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    if current:
        parts.append("".join(current))
    return parts


def segments(text: str) -> int:
    return analyse(text).segments


def cost(text: str, price_per_segment: Decimal) -> Decimal:
    return analyse(text).cost(price_per_segment)


def without_arrows(text: str) -> str:
    return _ARROWS.sub("", text)


def to_gsm7(text: str) -> str | None:
    """`text` without diacritics in GSM-7, or None when it cannot be written so (Burmese,
    Khmer, Lao or Chinese). "Giá xoài tăng 5%" becomes "Gia xoai tang 5%"."""
    out: list[str] = []
    for ch in without_arrows(text).translate(_TRANSLITERATE):
        # Every accent goes, even the few GSM-7 has (à, é): half-accented words read worse.
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in base):
            out.append(base)
        elif unicodedata.category(ch) == "Zs":
            out.append(" ")
        else:
            return None
    return "".join(out)
