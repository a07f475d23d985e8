"""Zawgyi, the legacy Burmese font encoding still on many phones: detect it, convert both ways.

Zawgyi reuses Unicode's Myanmar code points in visual order, so the same bytes mean different
text. Detection works word by word, because one message often mixes a Unicode keyboard's
words with text pasted from a Zawgyi phone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from myanmar import converter  # type: ignore[import-untyped]
from myanmartools import ZawgyiDetector  # type: ignore[import-untyped]

ZAWGYI_THRESHOLD: Final = 0.95
_CONVERTED_LOOKS_UNICODE: Final = 0.5
_MYANMAR = re.compile("[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]")
# A Unicode word never begins with the vowel sign ေ or the medial ြ: they follow their consonant.
# Zawgyi types them first, as they are drawn, which betrays it even in short words where the
# statistical detector is unsure (စျေး in Zawgyi is only 0.78 likely).
_VISUAL_ORDER_START = re.compile("^[\u1031\u103b\u107e-\u1084]")
_TOKEN = re.compile(r"\S+")


@lru_cache(maxsize=1)
def _detector() -> ZawgyiDetector:
    return ZawgyiDetector()


def zawgyi_probability(text: str) -> float:
    return float(_detector().get_zawgyi_probability(text))


def looks_zawgyi(word: str) -> bool:
    if not _MYANMAR.search(word):
        return False
    return bool(_VISUAL_ORDER_START.match(word)) or zawgyi_probability(word) > ZAWGYI_THRESHOLD


def _converted_if_zawgyi(text: str) -> str:
    """Zawgyi turns into text the detector is sure is Unicode. Some short Unicode words score
    above the threshold too (ငါးဓား, ribbon fish: 0.998); "converting" them gives text that
    still looks like Zawgyi, and then the original is kept."""
    if not looks_zawgyi(text):
        return text
    converted = str(converter.convert(text, "zawgyi", "unicode"))
    return converted if zawgyi_probability(converted) < _CONVERTED_LOOKS_UNICODE else text


def zawgyi_to_unicode(text: str) -> str:
    """Convert every Zawgyi word of `text` to Unicode, leaving Unicode and other scripts alone."""
    if not _MYANMAR.search(text):
        return text
    if not _has_unicode_words(text):
        whole = _converted_if_zawgyi(text)  # whole sentences give the detector more to go on
        if whole != text:
            return whole
    return _TOKEN.sub(lambda m: _converted_if_zawgyi(m.group()), text)


def _has_unicode_words(text: str) -> bool:
    return any(
        _MYANMAR.search(word) and zawgyi_probability(word) < 1 - ZAWGYI_THRESHOLD
        for word in text.split()
    )


def unicode_to_zawgyi(text: str) -> str:
    """For producers whose phones only render Zawgyi."""
    if not _MYANMAR.search(text):
        return text
    return str(converter.convert(text, "unicode", "zawgyi"))
