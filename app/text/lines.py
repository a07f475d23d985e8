"""Where text drawn in lines may break, in any of MIC's languages.

Burmese, Khmer, Lao and Chinese put no spaces between words, so breaking at spaces would leave a
Khmer sentence as one unbreakable run; ICU's line BreakIterator (UAX #14, with its dictionaries
for those scripts) knows where a word ends. A piece that is still too long for its line may be
cut between two extended grapheme clusters (UAX #29), never inside one: a Burmese syllable or a
Khmer consonant stack stays whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import icu  # type: ignore[import-untyped]
import regex

# One extended grapheme cluster (UAX #29), with the `regex` package's Unicode data.
_GRAPHEME: Final = regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """`text` as its extended grapheme clusters: what a reader sees as one character."""
    return list(_GRAPHEME.findall(text))


def line_pieces(text: str, locale: str) -> Iterator[str]:
    """`text` cut at every place a line may break in `locale`, in order, found as they are
    asked for; each piece keeps the spaces after it, so the pieces joined give `text` back."""
    if not text:
        return
    iterator = icu.BreakIterator.createLineInstance(icu.Locale(locale))
    iterator.setText(icu.UnicodeString(text))
    # ICU counts in UTF-16 code units, where a character beyond the BMP (an emoji) counts two;
    # the boundaries come in order, so one walk along the text converts them all.
    start = index = unit = 0
    for boundary in iterator:
        while unit < boundary:
            unit += 2 if ord(text[index]) > 0xFFFF else 1
            index += 1
        if index > start:
            yield text[start:index]
            start = index
