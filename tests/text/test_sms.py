from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.text import sms
from app.text.sms import (
    Encoding,
    Splitting,
    analyse,
    cost,
    segments,
    split,
    splitting_for,
    to_gsm7,
)

KHMER = "ក"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),
        ("a" * 307, Encoding.GSM7, 3),
        (KHMER * 70, Encoding.UCS2, 1),
        (KHMER * 71, Encoding.UCS2, 2),
        (KHMER * 134, Encoding.UCS2, 2),
        (KHMER * 135, Encoding.UCS2, 3),
        ("€" * 80, Encoding.GSM7, 1),  # 160 septets: each € costs two
        ("€" * 81, Encoding.GSM7, 2),
        ("😀" * 35, Encoding.UCS2, 1),  # an emoji is a surrogate pair: two units
        ("😀" * 36, Encoding.UCS2, 2),
        ("", Encoding.GSM7, 1),
    ],
    ids=[
        "160 GSM",
        "161 GSM",
        "306 GSM",
        "307 GSM",
        "70 Khmer",
        "71 Khmer",
        "134 Khmer",
        "135 Khmer",
        "80 euro",
        "81 euro",
        "35 emoji",
        "36 emoji",
        "empty",
    ],
)
def test_segment_boundaries(text: str, encoding: Encoding, expected: int) -> None:
    info = analyse(text)
    assert info.encoding is encoding
    assert info.segments == expected == segments(text)


def test_escape_pairs_are_never_split_across_parts() -> None:
    # 152 plain septets then '€' (2): it does not fit in part one's 153, so it starts part two.
    parts = split("a" * 152 + "€" + "b" * 10)
    assert [len(p) for p in parts] == [152, 11]
    assert parts[1].startswith("€")


def test_surrogate_pairs_are_never_split_across_parts() -> None:
    parts = split("ក" * 66 + "😀" + "ក" * 10)
    assert parts[0] == "ក" * 66 and parts[1].startswith("😀")


def test_one_burmese_letter_makes_the_whole_text_ucs2() -> None:
    assert analyse("Muse mango 12000 CNY").encoding is Encoding.GSM7
    assert analyse("Muse mango 12000 CNY မူဆယ်").encoding is Encoding.UCS2


def test_cost_is_segments_times_the_price() -> None:
    assert cost(KHMER * 135, Decimal("25.5")) == Decimal("76.5")
    assert cost("hello", Decimal("0.02")) == Decimal("0.02")


def test_vietnamese_without_diacritics_is_one_cheap_segment() -> None:
    alert = (
        "Giá cá cháy tại chợ cá San Pya (Yangon) ngày 27 thg 11: 15.000 K/ký (▲ +5,0%). "
        "Trả lời STOP để ngừng."
    )
    plain = to_gsm7(alert)
    assert plain == (
        "Gia ca chay tai cho ca San Pya (Yangon) ngay 27 thg 11: 15.000 K/ky (+5,0%). "
        "Tra loi STOP de ngung."
    )
    assert analyse(alert).segments == 2
    assert analyse(plain).segments == 1


def test_scripts_without_a_latin_spelling_are_not_transliterated() -> None:
    assert to_gsm7("မူဆယ် 12000") is None
    assert to_gsm7("芒果") is None
    assert to_gsm7("Đà Lạt ₫") == "Da Lat d"


# --- per gateway ---------------------------------------------------------------------------------

# A Burmese market note of exactly 134 UTF-16 units (two full parts of 67 when cut anywhere):
# "Muse mango (Sein Ta Lone) price today 12,600 kyat a viss, up 5%. Chinese buyers are coming in
# greater numbers. The Mandalay price is rising too. Thank you." Unit 67 falls inside a cluster:
# Kannel cuts it, Twilio moves the whole cluster to part two, and the last units spill into a
# third part.
BURMESE_134 = (
    "မူဆယ် သရက်သီး (စိန်တလုံး) ဈေး ယနေ့ ၁ ပိဿာ ၁၂,၆၀၀ ကျပ် ▲ +၅.၀%။ တရုတ်ဝယ်သူများ များလာသည်။ "
    "မန္တလေး ဈေးလည်း မြင့်တက်သည်။ ကျေးဇူးတင်ပါသည်။"
)
# Khmer with a subscript consonant (coeng + ka) straddling unit 67; Thai with tone marks where
# each of Twilio's first two parts would end, so that its parts of 66 units need a fourth.
KHMER_134 = "ក" * 66 + "ស្ក" + "ក" * 65
THAI_200 = "ก" * 66 + "ก่" + "ก" * 64 + "ก่" + "ก" * 66


def test_the_same_burmese_text_costs_two_parts_on_kannel_and_three_on_twilio() -> None:
    assert len(BURMESE_134) == 134
    kannel = split(BURMESE_134, splitting_for("kannel"))
    twilio = split(BURMESE_134, splitting_for("twilio"))
    assert [len(p) for p in kannel] == [67, 67]
    assert [len(p) for p in twilio] == [66, 67, 1]
    assert "".join(kannel) == "".join(twilio) == BURMESE_134
    assert segments(BURMESE_134, Splitting.CODE_POINTS) == 2
    assert segments(BURMESE_134, Splitting.GRAPHEMES) == 3
    assert cost(BURMESE_134, Decimal("0.025"), Splitting.GRAPHEMES) == Decimal("0.075")


@pytest.mark.parametrize(
    ("text", "by_code_points", "by_graphemes"),
    [(KHMER_134, 2, 3), (THAI_200, 3, 4), ("ក" * 134, 2, 2), ("ក" * 135, 3, 3)],
    ids=["khmer coeng at 67", "thai tone marks at 67 and 133", "khmer 134", "khmer 135"],
)
def test_grapheme_splitting_only_costs_more_when_a_cluster_straddles_a_boundary(
    text: str, by_code_points: int, by_graphemes: int
) -> None:
    assert segments(text, Splitting.CODE_POINTS) == by_code_points
    assert segments(text, Splitting.GRAPHEMES) == by_graphemes


def test_twilio_parts_begin_and_end_on_cluster_boundaries() -> None:
    import regex

    clusters = regex.findall(r"\X", BURMESE_134 * 3)
    boundaries = {sum(len(c) for c in clusters[:i]) for i in range(len(clusters) + 1)}
    position = 0
    for part in split(BURMESE_134 * 3, Splitting.GRAPHEMES):
        assert position in boundaries and len(part) <= 67
        position += len(part)
    assert position in boundaries


def test_a_cluster_longer_than_a_part_is_still_sent_whole_in_pieces() -> None:
    text = "a" + "\u0301" * 200  # one cluster of 201 code points: it has to be cut somewhere
    parts = split(text, Splitting.GRAPHEMES)
    assert "".join(parts) == text and all(len(p) <= 67 for p in parts)


def test_gsm7_text_is_split_alike_by_every_gateway() -> None:
    text = "Muse mango 12600 CNY/tonne " * 12
    assert split(text, Splitting.CODE_POINTS) == split(text, Splitting.GRAPHEMES)


def test_an_empty_text_is_one_segment_on_every_gateway() -> None:
    for gateway in ("console", "kannel", "android", "twilio"):
        assert segments("", splitting_for(gateway)) == 1
        assert split("", splitting_for(gateway)) == [""]


def test_an_unknown_gateway_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown SMS gateway 'nexmo'; use one of android"):
        splitting_for("nexmo")


def _split_one_by_one(text: str, splitting: sms.Splitting) -> list[str]:
    """The rule, spelled out: pieces (characters or clusters) added while they fit."""
    encoding = sms.Encoding.GSM7 if sms.is_gsm7(text) else sms.Encoding.UCS2

    def units(piece: str) -> int:
        return sum(
            (2 if c in sms.GSM7_EXTENSION else 1)
            if encoding is sms.Encoding.GSM7
            else (2 if ord(c) > 0xFFFF else 1)
            for c in piece
        )

    if units(text) <= sms.SINGLE[encoding]:
        return [text]
    limit, parts, current, used = sms.PER_PART[encoding], [], "", 0
    for piece in sms._pieces(text, encoding, splitting):
        for chunk in [piece] if units(piece) <= limit else list(piece):
            if used + units(chunk) > limit:
                parts.append(current)
                current, used = "", 0
            current += chunk
            used += units(chunk)
    return [*parts, current] if current else parts


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from([*"abc €[]{}^~|\\", "မ", "ြ", "ှ", "ု", "ံ", "🙂", "ត", "្", "រ"]),
        max_size=400,
    ),
    splitting=st.sampled_from(list(sms.Splitting)),
)
def test_split_counts_as_the_rule_spelled_out(text: str, splitting: sms.Splitting) -> None:
    assert sms.split(text, splitting) == _split_one_by_one(text, splitting)
    assert sms.analyse(text, splitting).segments == len(_split_one_by_one(text, splitting))
