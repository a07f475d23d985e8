"""Random Burmese through the Zawgyi path: what Zawgyi the detector finds is converted whole,
and Unicode is left alone."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.text.myanmar import (
    ZAWGYI_ONLY,
    ZAWGYI_THRESHOLD,
    unicode_to_zawgyi,
    zawgyi_probability,
    zawgyi_to_unicode,
)

CONSONANTS = "ကခဂဃငစဆဇညတထဒဓနပဖဗဘမယရလဝသဟအ"
# Medials in Unicode order; not every consonant takes every medial, but each is drawn in Zawgyi
# with its own shapes (U+107E..U+108A), which is the point here.
MEDIALS = ["", "", "ျ", "ြ", "ွ", "ှ", "ျွ", "ြွ", "ွှ", "ျှ"]
VOWELS = ["", "ာ", "ါ", "ိ", "ီ", "ု", "ူ", "ေ", "ဲ", "ော", "ို", "ံ", "ုံ"]
FINALS = ["", "", "က်", "င်", "တ်", "န်", "ပ်", "မ်", "ည်", "ယ်", "စ်", "ဉ်"]
TONES = ["", "", "့", "း"]
# Stacked consonants, kinzi and the great sa: Zawgyi writes each with a code point of its own.
CLUSTERS = ["န္တ", "က္က", "ဂ္ဂ", "မ္ဘ", "ပ္ပ", "စ္စ", "ဿ", "င်္ဂ", "ဏ္ဍ", "တ္တ", "ဒ္ဓ", "ဋ္ဌ"]


@st.composite
def syllables(draw: st.DrawFn) -> str:
    start = draw(st.sampled_from(CONSONANTS))
    if draw(st.integers(0, 4)) == 0:
        start = draw(st.sampled_from(CLUSTERS))
    return "".join(
        [
            start,
            draw(st.sampled_from(MEDIALS)),
            draw(st.sampled_from(VOWELS)),
            draw(st.sampled_from(FINALS)),
            draw(st.sampled_from(TONES)),
        ]
    )


words = st.lists(syllables(), min_size=1, max_size=4).map("".join)
sentences = st.lists(words, min_size=1, max_size=8).map(" ".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(sentences)
def test_zawgyi_found_in_random_burmese_is_converted_whole(unicode: str) -> None:
    zawgyi = unicode_to_zawgyi(unicode)
    converted = zawgyi_to_unicode(zawgyi)
    if converted != zawgyi:  # detected, in part or whole: nothing of Zawgyi may be left
        assert not ZAWGYI_ONLY.search(converted), (zawgyi, converted)


@SETTINGS
@given(sentences)
def test_a_sentence_the_detector_calls_zawgyi_keeps_none_of_it(unicode: str) -> None:
    zawgyi = unicode_to_zawgyi(unicode)
    if zawgyi_probability(zawgyi) > ZAWGYI_THRESHOLD:
        assert not ZAWGYI_ONLY.search(zawgyi_to_unicode(zawgyi)), zawgyi


def test_the_generator_reaches_the_zawgyi_only_code_points() -> None:
    """The properties above mean something only if Zawgyi renders the random Burmese with the
    code points in question: stacked consonants, kinzi, medial shapes."""
    rendered = unicode_to_zawgyi(" ".join([*CLUSTERS, "ကြွ", "ပြည်", "မှူး", "နှင့်"]))
    assert len(set(ZAWGYI_ONLY.findall(rendered))) >= 10
