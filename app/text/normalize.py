"""Normalise text at the edge (storage holds clean Unicode only) and fold it for matching."""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Final

from app.core.errors import InvalidInput
from app.text.digits import to_ascii_digits
from app.text.myanmar import zawgyi_to_unicode

# Telegram's limit for one message; an SMS concatenated to its maximum is far shorter.
MAX_MESSAGE_CHARS: Final = 4096

_WHITESPACE = re.compile(r"\s+")
# Invisible characters that change nothing a reader sees but break matching: zero-width space
# (Khmer's invisible word separator), BOM, word joiner, soft hyphen, bidirectional controls.
# ZWJ and ZWNJ stay: they can change how a word is shaped.
_INVISIBLE = re.compile("[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Dependent signs (vowel signs, tones, asat, virama) of Latin, Thai, Lao, Myanmar and Khmer:
# they belong to the letter before them and never start a word.
DEPENDENT_SIGNS: Final = (
    "\u0300-\u036f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd"
    "\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074"
    "\u1082-\u108d\u108f\u109a-\u109d\u17b4-\u17d3\u17dd"
)
_LEADING_MARKS = re.compile(f"^[{DEPENDENT_SIGNS}]+")

# Combining marks used on Latin letters (Vietnamese tones and vowel marks among them). Only these
# are removed when folding: Burmese, Khmer and Lao vowel signs are combining marks too, and
# removing them would change the word.
_LATIN_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_LATIN_EXTRA = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "ł": "l"})
# Scripts written without spaces between words.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3400-\u9fff\uf900-\ufaff]")


def decode_text(raw: bytes, charset: str = "utf-8") -> str:
    """Decode what a gateway sent, naming the charset and byte offset when it is not valid."""
    try:
        codec = codecs.lookup(charset)
    except LookupError as exc:
        raise InvalidInput(f"unknown character set {charset!r}") from exc
    try:
        return raw.decode(codec.name)
    except UnicodeDecodeError as exc:
        bad = f"bad byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise InvalidInput(f"text is not valid {codec.name} ({bad})") from exc


def control_character(text: str) -> str | None:
    """The first control character in `text` (tab and line breaks allowed) as "U+0000 at
    position 3", or None. Nobody types them, PostgreSQL cannot store NUL, and a stored one would
    reach a producer's phone."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X} at position {found.start()}"


def normalize_text(text: str, *, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """Clean text for storage and parsing: NFC, Zawgyi converted to Unicode, invisible and
    control characters removed, whitespace collapsed, a stray leading combining mark dropped.

    Raises InvalidInput only for text longer than `max_chars`; anything else comes back clean.
    """
    if len(text) > max_chars:
        raise InvalidInput(f"message too long: {len(text)} characters, at most {max_chars}")
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    text = _WHITESPACE.sub(" ", text).strip()
    text = unicodedata.normalize("NFC", zawgyi_to_unicode(text))
    # A mark with nothing to combine with (after the strip) renders as a dotted circle.
    return _LEADING_MARKS.sub("", text).strip()


def fold(text: str) -> str:
    """A matching key: case-folded, Latin diacritics removed ("Xoài" and "xoai" fold alike),
    native digits as ASCII."""
    decomposed = unicodedata.normalize("NFD", normalize_text(text).translate(_LATIN_EXTRA))
    stripped = _LATIN_COMBINING.sub("", decomposed)
    return to_ascii_digits(unicodedata.normalize("NFC", stripped)).casefold()


def fold_with_origins(text: str) -> tuple[str, list[int]]:
    """fold() of text that is already normalised, character by character, with the position in
    `text` of every folded character: what lets a match found in folded text be checked against
    what the producer really typed ("của" is not "cua")."""
    folded: list[str] = []
    origins: list[int] = []
    for i, ch in enumerate(text):
        decomposed = unicodedata.normalize("NFD", ch.translate(_LATIN_EXTRA))
        part = unicodedata.normalize("NFC", _LATIN_COMBINING.sub("", decomposed))
        part = to_ascii_digits(part).casefold()
        folded.append(part)
        origins += [i] * len(part)
    return "".join(folded), origins


def is_unspaced(text: str) -> bool:
    """True for Burmese, Khmer, Lao, Thai or Chinese text, where words run together."""
    return bool(_UNSPACED.search(text))
