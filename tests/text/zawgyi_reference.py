"""Zawgyi conversion scored against third-party reference data (tests/data/zawgyi/README.md).

Shared by tests/text/test_zawgyi_reference.py, which fails below the targets, and
`python -m bench zawgyi`, which prints the same table for a release note.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "zawgyi"
# Code points Zawgyi repurposes for its stacked and shaped forms. In Burmese Unicode text they
# never occur; Shan, Mon and Karen use them for real letters.
ZAWGYI_ONLY = re.compile("[\u1060-\u1097]")


@dataclass(frozen=True)
class Reference:
    name: str
    pairs: list[tuple[str, str]]  # (input, expected output)
    target: float  # share of lines that must come out exact, 0..1
    zawgyi_input: bool  # the input side is Zawgyi: nothing Zawgyi-only may survive
    # The converter's own test cases: many are malformed on purpose (a doubled vowel sign, a
    # word joiner inside a syllable) or read as valid Unicode too (ခ ါဘယ်), so no detector can
    # call them Zawgyi. They test the converter given Zawgyi; real text goes the whole way.
    converter_only: bool = False


@dataclass(frozen=True)
class Score:
    name: str
    through: str  # "converter" or "detection + converter"
    lines: int
    exact: int
    target: float
    zawgyi_left: int  # converted Zawgyi lines still holding U+1060..U+1097
    misses: list[tuple[str, str, str]]  # (input, expected, got)

    @property
    def accuracy(self) -> float:
        return self.exact / self.lines

    @property
    def passes(self) -> bool:
        return self.accuracy >= self.target and self.zawgyi_left == 0

    def row(self) -> dict[str, object]:
        return {
            "file": self.name,
            "through": self.through,
            "lines": self.lines,
            "exact": self.exact,
            "accuracy_pct": round(100 * self.accuracy, 1),
            "target_pct": round(100 * self.target, 1),
            "zawgyi_code_points_left": self.zawgyi_left,
        }


def _text_lines(name: str) -> list[str]:
    """The lines of a golden file that carry text: not its `# Location:` header, not blanks."""
    lines = (DATA / name).read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _parallel(source: str, expected: str) -> list[tuple[str, str]]:
    sources, targets = _text_lines(source), _text_lines(expected)
    if len(sources) != len(targets):
        raise ValueError(f"{source} has {len(sources)} lines, {expected} {len(targets)}")
    return list(zip(sources, targets, strict=True))


def _tsv(name: str) -> list[tuple[str, str]]:
    rows = (DATA / name).read_text(encoding="utf-8").split("\n")[1:]  # the header row first
    return [(zawgyi, unicode) for zawgyi, unicode in (row.split("\t") for row in rows if row)]


def references() -> list[Reference]:
    udhr_unicode = _text_lines("google_udhr_mya_unicode_src.txt")
    other_scripts = _text_lines("shan_mon_karen_unicode.txt")
    return [
        Reference(
            "transliteration pairs", _tsv("google_transliterate_pairs.tsv"), 0.98, True, True
        ),
        Reference(
            "mmgov news",
            _parallel("google_mmgov_zawgyi_src.txt", "google_mmgov_unicode_out.txt"),
            0.98,
            True,
        ),
        Reference(
            "UDHR, Zawgyi side",
            _parallel("google_udhr_mya_zawgyi_out.txt", "google_udhr_mya_unicode_src.txt"),
            0.95,
            True,
        ),
        Reference("UDHR, Unicode side", [(line, line) for line in udhr_unicode], 1.0, False),
        Reference("Shan, Mon, Karen", [(line, line) for line in other_scripts], 1.0, False),
    ]


def score(normalise: Callable[[str], str], convert: Callable[[str], str]) -> list[Score]:
    """Exact-line accuracy on every reference file, both sides compared in NFC: `normalise`
    (detection and conversion, as stored text goes) or, for the converter's own test cases,
    `convert` (Zawgyi to Unicode, unconditionally)."""
    scores = []
    for ref in references():
        exact, left, misses = 0, 0, []
        function = convert if ref.converter_only else normalise
        for source, expected in ref.pairs:
            got = unicodedata.normalize("NFC", function(source))
            want = unicodedata.normalize("NFC", expected)
            if got == want:
                exact += 1
            else:
                misses.append((source, want, got))
            if ref.zawgyi_input and ZAWGYI_ONLY.search(got):
                left += 1
        through = "converter" if ref.converter_only else "detection + converter"
        scores.append(Score(ref.name, through, len(ref.pairs), exact, ref.target, left, misses))
    return scores
