"""Zawgyi against third-party reference data: Google's myanmar-tools files and real Shan, Mon
and Karen text (tests/data/zawgyi/README.md). `python -m bench zawgyi` prints the same table."""

from __future__ import annotations

import math

import pytest

from app.text.myanmar import convert_zawgyi, zawgyi_probability, zawgyi_to_unicode
from app.text.normalize import normalize_text
from tests.text.zawgyi_reference import DATA, Score, references, score

SCORES = {s.name: s for s in score(zawgyi_to_unicode, convert_zawgyi)}


@pytest.mark.parametrize("name", [ref.name for ref in references()])
def test_each_reference_file_meets_its_target(name: str) -> None:
    result: Score = SCORES[name]
    misses = "\n".join(
        f"  {source!r}\n  want {want}\n  got  {got}" for source, want, got in result.misses[:5]
    )
    assert result.passes, f"{result.row()}\nfirst misses:\n{misses}"


def test_the_scoring_fails_text_left_as_zawgyi() -> None:
    """Leaving text as it came must fail every Zawgyi file: the targets measure conversion."""
    unconverted = {s.name: s for s in score(lambda text: text, lambda text: text)}
    for name in ("transliteration pairs", "mmgov news", "UDHR, Zawgyi side"):
        assert not unconverted[name].passes
        assert unconverted[name].zawgyi_left > 0
    assert unconverted["UDHR, Unicode side"].passes


def test_the_detector_matches_googles_compatibility_table() -> None:
    """myanmartools must be the model Google's table was made with: thresholds depend on it."""
    rows = (DATA / "google_compatibility.tsv").read_text(encoding="utf-8").splitlines()
    assert len(rows) > 40
    for row in rows:
        expected, text = row.split("\t", 1)
        got = zawgyi_probability(text)
        if expected == "-Infinity":
            assert got == -math.inf, text
        else:
            assert got == pytest.approx(float(expected), abs=1e-9), text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("မဂၤလာပါ", "မင်္ဂလာပါ"),  # "hello": kinzi as U+1064, the detector only 0.54 sure
        ("အႏၲရာယ္", "အန္တရာယ်"),  # "danger": stacked ta kept U+1072 before
        ("ရိွ", "ရှိ"),  # "have", ha-htoe typed after the vowel as Zawgyi draws it
        ("မဂၤလာပါ မူဆယ်", "မင်္ဂလာပါ မူဆယ်"),  # a Zawgyi word beside a Unicode one
        ("မေတ္တာထား၍", "မေတ္တာထား၍"),  # Unicode the detector is 0.9996 sure is Zawgyi
        ("ငါးဓား", "ငါးဓား"),  # ribbon fish, Unicode, 0.998
        ("ပှၤကညီ", "ပှၤကညီ"),  # "Karen people", in Karen: U+1064 is a tone mark there
        ("ႁူႉ ၾႃႉ", "ႁူႉ ၾႃႉ"),  # Shan words beginning with what Zawgyi uses for medial ra
    ],
)
def test_the_failures_the_review_found(typed: str, stored: str) -> None:
    assert normalize_text(typed) == stored
