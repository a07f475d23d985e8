"""Where lines may break in each of MIC's scripts, and what a reader sees as one character."""

from __future__ import annotations

import pytest

from app.text.lines import graphemes, line_pieces


@pytest.mark.parametrize(
    ("locale", "text", "pieces"),
    [
        ("vi", "Giá xoài hôm nay", ["Giá ", "xoài ", "hôm ", "nay"]),
        # No spaces between Khmer, Lao and Burmese words: ICU's dictionaries find them.
        ("km", "ផ្សារភ្នំពេញបិទថ្ងៃនេះ", ["ផ្សារ", "ភ្នំពេញ", "បិទ", "ថ្ងៃនេះ"]),
        ("lo", "ຕະຫຼາດວຽງຈັນປິດມື້ນີ້", ["ຕະຫຼາດ", "ວຽງຈັນ", "ປິດ", "ມື້ນີ້"]),
        ("my", "ကုန်တင်ကား မပို့ပါ", ["ကုန်", "တင်", "ကား ", "မ", "ပို့", "ပါ"]),
        # Chinese breaks between characters, but never before a closing comma.
        ("zh", "口岸关闭，请勿发车", ["口", "岸", "关", "闭，", "请", "勿", "发", "车"]),
        # A no-break space holds an amount and its currency together.
        ("en", "12,600\u00a0CN¥ today", ["12,600\u00a0CN¥ ", "today"]),
    ],
)
def test_lines_break_between_words(locale: str, text: str, pieces: list[str]) -> None:
    assert list(line_pieces(text, locale)) == pieces


def test_characters_beyond_the_bmp_keep_the_pieces_whole() -> None:
    # ICU counts an emoji as two UTF-16 units; the pieces are still whole Python strings.
    text = "mango 🥭 Muse 😀😀 ok"
    pieces = list(line_pieces(text, "en"))
    assert "".join(pieces) == text
    assert "🥭 " in pieces and "ok" in pieces


def test_no_text_no_pieces() -> None:
    assert list(line_pieces("", "my")) == []


def test_graphemes_keep_a_syllable_or_a_consonant_stack_whole() -> None:
    assert graphemes("ស្ត្រី") == ["ស្ត្រី"]
    assert graphemes("ကြို့") == ["ကြို့"]
    assert graphemes("Việt") == ["V", "i", "ệ", "t"]
    assert graphemes("e\u0301") == ["e\u0301"]
