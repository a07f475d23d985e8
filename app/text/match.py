"""Find known terms (catalogue aliases, keywords) in what a producer typed.

Latin-script terms match whole words. Burmese, Khmer, Lao and Chinese are written without
spaces between words, so their terms match anywhere; the longest term wins, so that
ငါးသလောက် (hilsa) is found as hilsa and not as ငါး (fish) followed by noise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.text.normalize import DEPENDENT_SIGNS, fold, is_unspaced

T = TypeVar("T")


@dataclass(frozen=True)
class Match(Generic[T]):
    start: int  # offsets into the folded text
    end: int
    term: str
    value: T


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
            # An unspaced term must not stop before a sign that belongs to its last letter:
            # ငါ ("I") is not a match inside ငါး ("fish").
            f"{re.escape(k)}(?![{DEPENDENT_SIGNS}])"
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
        found: list[Match[T]] = []
        for m in self._pattern.finditer(fold(text)):
            for value in self._values[m.group()]:
                found.append(Match(m.start(), m.end(), m.group(), value))
        return found
