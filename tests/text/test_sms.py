from __future__ import annotations

from decimal import Decimal

import pytest

from app.text.sms import Encoding, analyse, cost, segments, split, to_gsm7

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
        ("", Encoding.GSM7, 0),
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
