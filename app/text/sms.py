"""SMS arithmetic: which encoding a text needs, how many segments it costs, and a GSM-7
transliteration for producers who prefer one cheap SMS to diacritics.

GSM-7 (3GPP TS 23.038) fits 160 septets in one SMS and 153 per part of a longer one; the
extension characters cost two septets and an escape pair is never split across parts. Any other
character forces UCS-2: 70 UTF-16 code units in one SMS, 67 per part, and a surrogate pair (an
emoji) is never split either.

Gateways split long UCS-2 texts differently, and each bills the parts it sends. Kannel cuts
between code points; Twilio, and Android's SmsManager (which the Android SMS Gateway app sends
through; it asks ICU's character BreakIterator), keep every extended grapheme cluster (UAX #29: a
Khmer consonant with its subscripts and vowel signs, a Burmese syllable's stacked marks) whole in
one part, so the same Burmese text can cost them one part more. `Splitting` names the two ways
and `splitting_for` says which one a gateway uses; every count MIC charges or budgets with goes
through it.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from app.text.lines import graphemes

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


class Splitting(enum.StrEnum):
    """Where a gateway may cut a long UCS-2 text between two parts."""

    CODE_POINTS = "code_points"  # anywhere but inside a surrogate pair (Kannel)
    GRAPHEMES = "graphemes"  # never inside an extended grapheme cluster (Twilio, Android)


# The console is nobody's bill: it counts like the gateway that splits most carefully, so an
# estimate made before a gateway is chosen is never below what any of them will charge.
GATEWAY_SPLITTING: Final = {
    "kannel": Splitting.CODE_POINTS,
    "android": Splitting.GRAPHEMES,
    "twilio": Splitting.GRAPHEMES,
    "console": Splitting.GRAPHEMES,
}


def splitting_for(gateway: str) -> Splitting:
    """How `gateway` (a `MIC_SMS_GATEWAY` value) splits, and therefore bills, long texts."""
    try:
        return GATEWAY_SPLITTING[gateway]
    except KeyError:
        known = ", ".join(sorted(GATEWAY_SPLITTING))
        raise ValueError(f"unknown SMS gateway {gateway!r}; use one of {known}") from None


@dataclass(frozen=True)
class SmsInfo:
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    def cost(self, price_per_segment: Decimal) -> Decimal:
        return price_per_segment * self.segments


_GSM7: Final = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def _units(text: str, encoding: Encoding) -> int:
    """Septets (an extension character costs two) or UTF-16 code units (an emoji two); counted
    with str methods, as every reply and alert is measured on its way out."""
    if encoding is Encoding.GSM7:
        return len(text) + sum(text.count(ch) for ch in GSM7_EXTENSION)
    return len(text.encode("utf-16-le")) // 2


@functools.lru_cache(maxsize=4096)
def analyse(text: str, splitting: Splitting = Splitting.GRAPHEMES) -> SmsInfo:
    """Encoding, length in units, and segments of `text` as one (possibly long) SMS, as a
    gateway splitting the `splitting` way bills it. An empty text is still one SMS sent.

    Kept for the texts seen last: every answer is measured several times on its way out (to
    pack it, to price it, to bill it), and the same answer goes to everyone who asks the same
    question that day."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    units = _units(text, encoding)
    if units <= SINGLE[encoding]:
        return SmsInfo(encoding, units, 1)
    return SmsInfo(encoding, units, len(split(text, splitting)))


def _pieces(text: str, encoding: Encoding, splitting: Splitting) -> list[str]:
    """The smallest runs a part boundary may not cut: characters, or whole clusters."""
    if encoding is Encoding.UCS2 and splitting is Splitting.GRAPHEMES:
        return graphemes(text)
    return list(text)


def split(text: str, splitting: Splitting = Splitting.GRAPHEMES) -> list[str]:
    """The parts a phone receives; a character's units are never divided between two parts,
    nor, when splitting by graphemes, a cluster's characters."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    total = _units(text, encoding)
    if total <= SINGLE[encoding]:
        return [text]
    limit = PER_PART[encoding]
    if total == len(text) and (encoding is Encoding.GSM7 or splitting is Splitting.CODE_POINTS):
        # One unit per character and any character may end a part: plain slices.
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    # Without extension characters (GSM-7) or characters outside the BMP (UCS-2) a piece
    # costs one unit per character: no need to count each one.
    one_unit_each = total == len(text)
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for piece in _pieces(text, encoding, splitting):
        size = len(piece) if one_unit_each else _units(piece, encoding)
        # A cluster longer than a whole part (a pile of combining marks) cannot stay whole;
        # it is cut between code points like any text, as Twilio must do too.
        chunks = [(piece, size)] if size <= limit else [(ch, _units(ch, encoding)) for ch in piece]
        for chunk, chunk_size in chunks:
            if used + chunk_size > limit:
                parts.append("".join(current))
                current, used = [], 0
            current.append(chunk)
            used += chunk_size
    if current:
        parts.append("".join(current))
    return parts


def segments(text: str, splitting: Splitting = Splitting.GRAPHEMES) -> int:
    return analyse(text, splitting).segments


def cost(
    text: str, price_per_segment: Decimal, splitting: Splitting = Splitting.GRAPHEMES
) -> Decimal:
    return analyse(text, splitting).cost(price_per_segment)


def without_arrows(text: str) -> str:
    return _ARROWS.sub("", text)


def to_gsm7(text: str) -> str | None:
    """`text` without diacritics in GSM-7, or None when it cannot be written so (Burmese,
    Khmer, Lao or Chinese). "Giá xoài tăng 5%" becomes "Gia xoai tang 5%"."""
    out: list[str] = []
    for ch in without_arrows(text).translate(_TRANSLITERATE):
        # Every accent goes, even the few GSM-7 has (à, é): half-accented words read worse.
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and is_gsm7(base):
            out.append(base)
        elif unicodedata.category(ch) == "Zs":
            out.append(" ")
        else:
            return None
    return "".join(out)
