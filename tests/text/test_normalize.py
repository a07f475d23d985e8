from __future__ import annotations

import pytest
from sqlmodel import select

from app.catalogue.models import Alias, Commodity, Market
from app.core.db import Database
from app.core.errors import InvalidInput
from app.text.digits import to_ascii_digits, to_native_digits
from app.text.match import TermMatcher
from app.text.myanmar import looks_zawgyi, unicode_to_zawgyi, zawgyi_to_unicode
from app.text.normalize import MAX_MESSAGE_CHARS, decode_text, fold, normalize_text

# Zawgyi as a Zawgyi phone sends it (visual order: the vowel ေ typed before its consonant).
ZAWGYI = {
    "mango": ("သရက္သီး", "သရက်သီး"),
    "price": ("ေဈး", "ဈေး"),
    # Zawgyi draws ဈ as စ with ya-pin; ICU's Zawgyi-my (Google's converter too) writes ဈ.
    "price, other spelling": ("ေစ်း", "ဈေး"),
    "Muse": ("မူဆယ္", "မူဆယ်"),
    "sentence": ("မူဆယ္ သရက္သီးေဈး ဘယ္ေလာက္လဲ", "မူဆယ် သရက်သီးဈေး ဘယ်လောက်လဲ"),
}


@pytest.mark.parametrize(("zawgyi", "unicode"), ZAWGYI.values(), ids=ZAWGYI.keys())
def test_zawgyi_becomes_unicode(zawgyi: str, unicode: str) -> None:
    assert zawgyi != unicode
    assert normalize_text(zawgyi) == unicode
    assert normalize_text(unicode) == unicode  # Unicode input is never "converted"


@pytest.mark.usefixtures("seeded")
async def test_converted_zawgyi_matches_catalogue_aliases(database: Database) -> None:
    async with database.session() as s:
        aliases = (await s.exec(select(Alias))).all()
        commodities = {c.id: c.slug for c in (await s.exec(select(Commodity))).all()}
        markets = {m.id: m.slug for m in (await s.exec(select(Market))).all()}
    matcher = TermMatcher(
        [(a.text, f"commodity:{commodities[a.commodity_id]}") for a in aliases if a.commodity_id]
        + [(a.text, f"market:{markets[a.market_id]}") for a in aliases if a.market_id]
    )
    found = {m.value for m in matcher.find(normalize_text(ZAWGYI["sentence"][0]))}
    assert found == {"commodity:mango", "market:muse"}
    assert {m.value for m in matcher.find(normalize_text(ZAWGYI["mango"][0]))} == {
        "commodity:mango"
    }
    assert {m.value for m in matcher.find(normalize_text(ZAWGYI["Muse"][0]))} == {"market:muse"}
    # Written without spaces, in Khmer, Lao, Chinese and unaccented Vietnamese:
    assert {m.value for m in matcher.find("តម្លៃស្វាយ")} == {"commodity:mango"}
    assert {m.value for m in matcher.find("ລາຄາໝາກມ່ວງ")} == {"commodity:mango"}
    assert {m.value for m in matcher.find("芒果木姐价格")} == {"commodity:mango", "market:muse"}
    assert {m.value for m in matcher.find("gia xoai")} == {"commodity:mango"}


def test_mixed_zawgyi_and_unicode_words_each_come_out_unicode() -> None:
    mixed = f"{ZAWGYI['mango'][0]} မူဆယ် price"
    assert normalize_text(mixed) == "သရက်သီး မူဆယ် price"


def test_output_in_zawgyi_for_producers_who_chose_it() -> None:
    assert unicode_to_zawgyi("မူဆယ် သရက်သီးဈေး ဘယ်လောက်လဲ") == ZAWGYI["sentence"][0]
    assert looks_zawgyi(unicode_to_zawgyi("ဈေး"))
    assert zawgyi_to_unicode(unicode_to_zawgyi("ငါးသလောက်")) == "ငါးသလောက်"


def test_folding_for_matching() -> None:
    assert fold("Xoài") == fold("xoai") == "xoai"
    assert fold("ĐÀ LẠT") == "da lat"
    assert fold("  Sein   Ta Lone ") == "sein ta lone"
    assert fold("၁၂၀၀၀") == "12000"


@pytest.mark.parametrize(
    ("native", "ascii_"),
    [("၁၂၀၀၀", "12000"), ("១២០០០", "12000"), ("໑໒໐໐໐", "12000"), ("๑๒๐๐๐", "12000"), ("12", "12")],
)
def test_native_digits_parse_as_ascii(native: str, ascii_: str) -> None:
    assert to_ascii_digits(native) == ascii_


def test_native_digits_for_display() -> None:
    assert to_native_digits("12,600 K", "my") == "၁၂,၆၀၀ K"
    assert to_native_digits("12,600៛", "km") == "១២,៦០០៛"
    assert to_native_digits("₭12.600", "lo") == "₭໑໒.໖໐໐"
    assert to_native_digits("12.600 ₫", "vi") == "12.600 ₫"  # Vietnamese uses Latin digits


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("mango\u200bmuse", "mangomuse"),  # zero-width space (Khmer's word separator)
        ("\u200fprice\u202e mango", "price mango"),  # bidirectional controls
        ("\u0301\u0301price", "price"),  # a lone combining mark
        ("\u103aမူဆယ်", "မူဆယ်"),  # a lone asat before a Burmese word
        ("\ufeffJOIN\x00 MANGO\x07", "JOIN MANGO"),  # BOM and control characters
        ("Xoa\u0300i", "Xoài"),  # decomposed input comes out NFC
        ("मूल्य mango 芒果 မူဆယ်", "मूल्य mango 芒果 မူဆယ်"),  # mixed scripts are kept
        ("", ""),
        ("\u200b\u200b", ""),
    ],
)
def test_bad_input_comes_out_clean(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_long_messages_are_a_clear_error() -> None:
    assert len(normalize_text("a" * MAX_MESSAGE_CHARS)) == MAX_MESSAGE_CHARS
    with pytest.raises(InvalidInput, match="message too long: 10000 characters"):
        normalize_text("မူဆယ်" * 2000)


def test_invalid_utf8_from_a_gateway_is_a_clear_error() -> None:
    assert decode_text("မူဆယ်".encode()) == "မူဆယ်"
    assert decode_text("မူဆယ်".encode("utf-16-be"), "UTF-16BE") == "မူဆယ်"
    with pytest.raises(InvalidInput, match=r"not valid utf-8 \(bad byte 0xff at offset 3\)"):
        decode_text(b"abc\xff")
    with pytest.raises(InvalidInput, match="unknown character set 'klingon'"):
        decode_text(b"abc", "klingon")
