"""Normalise text that users type, and fold it into keys that matching compares."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")

# Combining marks used on Latin letters (Vietnamese tones and vowel marks among them). Only these
# are removed when folding: Burmese, Khmer and Lao vowel signs are combining marks too, and
# removing them would change the word.
_LATIN_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_LATIN_EXTRA = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "ł": "l"})


def normalize_text(text: str) -> str:
    """NFC with runs of whitespace collapsed to one space and the ends trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """A matching key: case-folded, Latin diacritics removed ("Xoài" and "xoai" fold alike)."""
    decomposed = unicodedata.normalize("NFD", normalize_text(text).translate(_LATIN_EXTRA))
    return unicodedata.normalize("NFC", _LATIN_COMBINING.sub("", decomposed)).casefold()
