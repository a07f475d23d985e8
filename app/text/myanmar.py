"""Zawgyi, the legacy Burmese font encoding still on many phones: detect it, convert both ways.

Zawgyi reuses Unicode's Myanmar code points in visual order, so the same bytes mean different
text. Detection is Google's model (myanmartools) and works word by word, because one message
often mixes a Unicode keyboard's words with text pasted from a Zawgyi phone. Conversion is
ICU's CLDR transforms `Zawgyi-my` and `my-Zawgyi` (PyICU), the rules Google's own converter
uses; tests/text/test_zawgyi_reference.py holds them to Google's reference files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import icu  # type: ignore[import-untyped]
from myanmartools import ZawgyiDetector  # type: ignore[import-untyped]

ZAWGYI_THRESHOLD: Final = 0.95
_MYANMAR = re.compile("[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]")
# Code points Zawgyi repurposes for stacked consonants, kinzi and medial shapes. Burmese Unicode
# never uses them; Shan, Mon and Karen do, for letters, vowels and tones of their own.
ZAWGYI_ONLY: Final = re.compile("[\u1060-\u1097]")
# A Unicode word never begins with the vowel sign ေ or the medial ျ: they follow their consonant.
# Zawgyi types ေ and its medial ra (U+103B) first, as they are drawn, which betrays it even in
# short words where the statistical detector is unsure (စျေး in Zawgyi is only 0.78 likely).
# Zawgyi's other medial-ra shapes (U+107E..U+1084) are left to the detector: Shan words
# begin with the same code points (ႁ, ၾ).
_VISUAL_ORDER_START = re.compile("^[\u1031\u103b]")
_SPACE = re.compile(r"(\s+)")
# Letters of the Myanmar script (Burmese, Mon, Shan, Karen) and the symbols that stand alone.
_BASES = (
    "\u1000-\u102a\u103f\u104c-\u104f\u1050-\u1055\u105a-\u105d\u1061\u1065\u1066"
    "\u106e-\u1070\u1075-\u1081\u108e"
)
_SIGNS = "\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074"
_SIGNS += "\u1082-\u108d\u108f\u109a-\u109d"
# Orders no Unicode Burmese word has (UTN #11): a vowel sign, medial or asat with no letter
# before it (ကမ႓ာ has one after a Shan digit), a virama with no letter after it, a vowel sign or
# medial after a vowel sign or the asat (ယောက်ျား, "man", has medial ya after it and is fine),
# ေ after another vowel, a sign doubled. Converting real Unicode that the detector took for
# Zawgyi produces them (the UDHR's မေတ္တာထား၍ became မတ်ေတာထား၍), so such a conversion is not
# taken. Mon, which writes ရှ်ေ, is ill-formed Burmese too; that only ever keeps text as it is.
_ILL_FORMED = re.compile(
    f"(?:^|(?<=[^{_BASES}{_SIGNS}]))[\u102b-\u103e]"
    f"|\u1039(?![{_BASES}])"
    "|[\u102b-\u1032\u1036][\u103b-\u103e]|\u103a[\u102b-\u1032\u1036\u103c-\u103e]"
    "|[\u102b-\u1030\u1032]\u1031"
    "|([\u102b-\u103e])\\1"
)


@lru_cache(maxsize=1)
def _detector() -> ZawgyiDetector:
    return ZawgyiDetector()


@lru_cache(maxsize=2)
def _transform(transform_id: str) -> icu.Transliterator:
    """`Zawgyi-my` or `my-Zawgyi` from the ICU data PyICU ships; built once, parsing the rules
    takes milliseconds."""
    return icu.Transliterator.createInstance(transform_id)


def zawgyi_probability(text: str) -> float:
    return float(_detector().get_zawgyi_probability(text))


def looks_zawgyi(word: str) -> bool:
    if not _MYANMAR.search(word):
        return False
    if _VISUAL_ORDER_START.match(word):
        return True
    probability = zawgyi_probability(word)
    # A word holding code points Burmese Unicode never uses is Zawgyi or another language of
    # the script. The detector, trained on Burmese, puts Shan, Mon and Karen near 0, and short
    # Zawgyi words such as မဂၤလာပါ ("hello", kinzi as U+1064) only just above even (0.54).
    return probability > ZAWGYI_THRESHOLD or (probability > 0.5 and bool(ZAWGYI_ONLY.search(word)))


def convert_zawgyi(text: str) -> str:
    """`text` read as Zawgyi, in Unicode, whatever it is: detection is the caller's."""
    return str(_transform("Zawgyi-my").transliterate(text))


def _converted_if_zawgyi(text: str) -> str:
    """Zawgyi turns into well-formed Unicode that looks less like Zawgyi than it did. Some
    Unicode words score above the threshold too (ငါးဓား, ribbon fish: 0.998; မေတ္တာထား၍ of the
    UDHR: 0.9996); "converting" them gives ill-formed text or text that looks as much like
    Zawgyi, and then the original is kept. Text with code points Burmese Unicode never uses
    has no Burmese to damage and is converted as it is, however odd its Zawgyi."""
    if not looks_zawgyi(text):
        return text
    converted = convert_zawgyi(text)
    if ZAWGYI_ONLY.search(text):
        return converted
    if _ILL_FORMED.search(converted):
        return text
    return converted if zawgyi_probability(converted) < zawgyi_probability(text) else text


def zawgyi_to_unicode(text: str) -> str:
    """Convert every Zawgyi word of `text` to Unicode, leaving Unicode and other scripts alone."""
    if not _MYANMAR.search(text):
        return text
    if not _has_unicode_words(text):
        whole = _converted_if_zawgyi(text)  # whole sentences give the detector more to go on
        if whole != text:
            return whole
    parts = _SPACE.split(text)  # words at even indices, the spaces between them at odd ones
    converted = [part if i % 2 else _converted_if_zawgyi(part) for i, part in enumerate(parts)]
    if converted != parts:
        # The sender's phone writes Zawgyi, so a word with code points Burmese Unicode never
        # uses is Zawgyi too, however short: ကၠ (stacked ka) alone scores near 0.
        converted = [
            _converted_in_zawgyi_message(part, done)
            for part, done in zip(parts, converted, strict=True)
        ]
    return "".join(converted)


def _converted_in_zawgyi_message(word: str, converted: str) -> str:
    if converted != word or not ZAWGYI_ONLY.search(word):
        return converted
    return convert_zawgyi(word)


def _has_unicode_words(text: str) -> bool:
    """A word the detector is sure is Unicode, among words that read differently in the two
    encodings: က or ညီ are the same in both and say nothing about the sender's phone. Nor does
    an ill-formed word (အစဉ္, 0.041): it cannot be Unicode, whatever the detector says."""
    return any(
        _MYANMAR.search(word)
        and zawgyi_probability(word) < 1 - ZAWGYI_THRESHOLD
        and convert_zawgyi(word) != word
        and not _ILL_FORMED.search(word)
        for word in text.split()
    )


def unicode_to_zawgyi(text: str) -> str:
    """For producers whose phones only render Zawgyi."""
    if not _MYANMAR.search(text):
        return text
    return str(_transform("my-Zawgyi").transliterate(text))
