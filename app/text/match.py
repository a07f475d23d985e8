"""Find known terms (catalogue aliases, keywords) in what a producer typed.

Latin-script terms match whole words. Burmese, Khmer, Lao and Chinese are written without
spaces between words, so their terms match anywhere a word can start; the longest term wins, so
that ငါးသလောက် (hilsa) is found as hilsa and not as ငါး (fish) followed by noise, and an everyday
word given to the matcher (ပိုးသတ်ဆေး, pesticide) hides the shorter name inside it (ပိုး, silk).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.text.normalize import DEPENDENT_SIGNS, fold, fold_with_origins, is_unspaced, normalize_text

T = TypeVar("T")

# A letter after these is not the start of a word: a subscript consonant after the Myanmar
# virama (U+1039) or the Khmer coeng (U+17D2) belongs to the cluster before it (តែ inside
# ប៉ុន្តែ, ត្រី inside ស្ត្រី), and Lao and Thai vowels written before their consonant (ເ, ໄ...)
# open the syllable that consonant is in.
_INSIDE_A_SYLLABLE = "\u1039\u17d2\u0ec0-\u0ec4\u0e40-\u0e44"


@dataclass(frozen=True)
class Match(Generic[T]):
    start: int  # offsets into the folded text
    end: int
    term: str  # the folded term
    value: T
    typed: str = ""  # what the producer typed for it, case-folded, accents kept


class TermMatcher(Generic[T]):
    def __init__(self, terms: Iterable[tuple[str, T]]) -> None:
        self._values: dict[str, list[T]] = {}
        for text, value in terms:
            key = fold(text)
            if key:
                self._values.setdefault(key, []).append(value)
        # Longest first: the regex alternation then prefers "sein ta lone" over "sein".
        keys = sorted(self._values, key=len, reverse=True)
        parts = [
            # An unspaced term starts where a word can start, and must not stop before a sign
            # that belongs to its last letter: ငါ ("I") is not a match inside ငါး ("fish").
            f"(?<![{_INSIDE_A_SYLLABLE}]){re.escape(k)}(?![{DEPENDENT_SIGNS}])"
            if is_unspaced(k)
            # Latin terms stand as words; a digit is a boundary too ("20kg", "70usd").
            else rf"(?<![^\W\d]){re.escape(k)}(?![^\W\d])"
            for k in keys
        ]
        self._pattern = re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> list[Match[T]]:
        """Non-overlapping matches, left to right. A term naming several things yields each."""
        if self._pattern is None:
            return []
        clean = normalize_text(text)
        folded, origins = fold_with_origins(clean)
        found: list[Match[T]] = []
        for m in self._pattern.finditer(folded):
            typed = clean[origins[m.start()] : origins[m.end() - 1] + 1].casefold()
            for value in self._values[m.group()]:
                found.append(Match(m.start(), m.end(), m.group(), value, typed))
        return found
