"""Share cards as drawn: each sample card against its reference image, text cut into runs by the
fonts that have it, lines broken where the language allows, and nothing, however long, drawn
outside the card."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image

from app.public import card_drawing
from app.public.card_drawing import (
    ELLIPSIS,
    KHMER,
    LAO,
    LATIN,
    MARGIN,
    MYANMAR,
    PAPER,
    SIZE,
    WIDTH,
    Trend,
    cjk_face,
    font_chain,
    has_char,
    layout,
    notice_blocks,
    runs,
    typesetter,
)
from tests.public.references import CARD_TOLERANCE, CJK_FONT, card_image, differing_pixels
from tests.public.references import reference as reference_image
from tests.public.samples import CARDS, NOTICE, PRICES

pytestmark = pytest.mark.usefixtures("drawable")

LONG_BURMESE = "မူဆယ် ၁၀၅ မိုင် ဂိတ် ယနေ့ ပိတ်ထားသည်။ ကုန်တင်ကား မပို့ပါနှင့်။ "


@pytest.mark.parametrize("key", sorted(CARDS))
def test_each_sample_card_matches_its_reference_image(key: str) -> None:
    drawn = card_image(key)
    assert (drawn.size, drawn.mode, drawn.format) == ((SIZE, SIZE), "P", "PNG")
    assert differing_pixels(drawn, reference_image(f"card-{key}.png")) <= CARD_TOLERANCE, (
        f"card {key} no longer draws as tests/public/cards/card-{key}.png "
        "(python -m tests.public.references draws them again, on purpose)"
    )


def test_a_card_is_a_small_palette_png_with_the_cards_own_colours() -> None:
    png = card_drawing.draw(CARDS["my"], CJK_FONT)
    assert len(png) < 40_000
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.getpixel((SIZE // 2, 20)) == card_drawing.ACCENT
    assert image.getpixel((4, SIZE - 4)) == PAPER


def test_every_part_of_a_line_is_drawn_with_a_font_that_has_it() -> None:
    burmese = font_chain("my", None)
    # A space between Burmese words and digits stays with the Burmese: the font has one.
    assert runs("မူဆယ် 12,600 CN¥", burmese) == (("မူဆယ် ", MYANMAR), ("12,600 CN¥", LATIN))
    khmer = font_chain("km", None)
    assert runs("152,000៛ ធៀបនឹង", khmer) == (("152,000", LATIN), ("៛ ធៀបនឹង", KHMER))
    lao = font_chain("lo", None)
    # The Lao font has the kip sign and Lao digits, but no full stop.
    assert runs("₭໓໕໐.໐໐໐", lao) == (("₭໓໕໐", LAO), (".", LATIN), ("໐໐໐", LAO))
    # Vietnamese is Latin with its accents; Burmese quoted in it comes from the Burmese font.
    assert runs("Giá xoài ở မူဆယ်", font_chain("vi", None)) == (
        ("Giá xoài ở ", LATIN),
        ("မူဆယ်", MYANMAR),
    )


def test_chinese_comes_from_the_simplified_chinese_face_of_the_cjk_collection() -> None:
    cjk = cjk_face(CJK_FONT)
    assert cjk.index == 2  # Debian's collection: JP, KR, then SC
    assert runs("¥12,600/吨", font_chain("zh", cjk)) == (("¥12,600/吨", cjk),)
    # Other cards reach for it only for what no other font has, such as a Chinese name.
    assert runs("Muse 木姐", font_chain("en", cjk)) == (("Muse ", LATIN), ("木姐", cjk))


def test_which_font_has_which_character() -> None:
    assert has_char(LATIN, "A") and has_char(LATIN, "ấ") and has_char(LATIN, "₫")
    assert not has_char(MYANMAR, "A") and not has_char(KHMER, "5")
    assert has_char(MYANMAR, "၁") and has_char(KHMER, "៛") and has_char(LAO, "໑")
    assert not has_char(LATIN, "က") and not has_char(LATIN, "▲")
    assert has_char(MYANMAR, "\N{ZERO WIDTH JOINER}")  # never decides the font


def test_a_character_no_font_has_is_drawn_by_the_first_font() -> None:
    assert runs("\ue000", font_chain("km", None)) == (("\ue000", KHMER),)


def test_lines_break_between_words_in_scripts_without_spaces() -> None:
    setter = typesetter("km", CJK_FONT)
    text = "តម្លៃសូត្រនៅភ្នំស្រុកឡើងថ្លៃជាងខែមុនដោយសារតម្រូវការពីឈ្មួញថៃ"
    lines = setter.wrap(text, 56, 400, 10)
    assert len(lines) > 1 and "".join(lines) == text
    assert all(setter.width(line, 56) <= 400 for line in lines)
    # Each break is one ICU allows: no line begins inside a word.
    assert lines[1].startswith(("នៅ", "ភ្នំ", "ស្រុក", "ឡើង", "ថ្លៃ", "ជាង", "ខែ", "មុន"))


def test_a_word_longer_than_a_line_is_cut_between_grapheme_clusters() -> None:
    setter = typesetter("my", CJK_FONT)
    word = "ကြို့" * 40
    lines = setter.wrap(word, 56, 300, 50)
    assert "".join(lines) == word
    assert all(setter.width(line, 56) <= 300 for line in lines)
    assert all(line.startswith("ကြို့") for line in lines)


def test_a_notice_of_five_thousand_characters_is_cut_to_the_lines_it_has() -> None:
    setter = typesetter("my", CJK_FONT)
    text = (LONG_BURMESE * 80)[:5000]
    lines = setter.wrap(text, 56, WIDTH, 6)
    assert len(lines) == 6
    assert lines[-1].endswith(ELLIPSIS)
    assert all(setter.width(line, 56) <= WIDTH for line in lines)
    assert text.startswith("".join(lines[:-1]).replace(ELLIPSIS, "")[:50])


def _inked_outside_the_margins(png: bytes) -> list[tuple[int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    header = card_drawing.HEADER
    outside = [(x, y) for x in range(SIZE - MARGIN + 4, SIZE) for y in range(header + 1, SIZE, 3)]
    outside += [(x, y) for x in range(0, SIZE, 3) for y in range(SIZE - 12, SIZE)]
    outside += [(x, y) for x in range(0, MARGIN - 4) for y in range(header + 1, SIZE, 3)]
    return [xy for xy in outside if image.getpixel(xy) != PAPER]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param((LONG_BURMESE * 80)[:5000], id="burmese"),
        pytest.param("ผ" + "ញ" * 4999, id="one-unbreakable-word"),
        pytest.param("\n".join(["ລາຄາ"] * 2500), id="lao-lines"),
    ],
)
def test_a_long_notice_stays_inside_the_card(body: str) -> None:
    card = dataclasses.replace(NOTICE.card, locale="my", body=body)
    assert _inked_outside_the_margins(card_drawing.draw(card, CJK_FONT)) == []


def test_long_names_stay_inside_a_price_card() -> None:
    card = dataclasses.replace(
        PRICES["my"].card,
        title="သရက်သီး " * 60,
        place="မူဆယ်၊ မြန်မာ " * 40,
        price="၁၂,၆၀၀,၀၀၀,၀၀၀,၀၀၀,၀၀၀,၀၀၀ CN¥",
        change="+" * 500,
    )
    assert _inked_outside_the_margins(card_drawing.draw(card, CJK_FONT)) == []


def test_a_short_notice_is_drawn_whole_and_a_long_one_cut() -> None:
    setter = typesetter("zh", CJK_FONT)
    short = layout(setter, *notice_blocks(NOTICE.card))
    assert not any(block.cut for block in short.blocks)
    assert short.blocks[-1].size == 56  # at its full size
    long = dataclasses.replace(NOTICE.card, body=NOTICE.card.body * 60)
    cut = layout(setter, *notice_blocks(long))
    assert cut.blocks[-1].cut and cut.fits


def test_the_change_arrow_points_the_way_the_price_went() -> None:
    rise = Image.open(io.BytesIO(card_drawing.draw(CARDS["my"], CJK_FONT))).convert("RGB")
    fall_card = dataclasses.replace(PRICES["my"].card, trend=Trend.FALL)
    fall = Image.open(io.BytesIO(card_drawing.draw(fall_card, CJK_FONT))).convert("RGB")
    assert differing_pixels(rise, fall) > 2000  # the arrow turned, the line changed colour
    assert card_drawing.RISE in {rgb for _, rgb in rise.getcolors(4096) or []}
    assert card_drawing.FALL in {rgb for _, rgb in fall.getcolors(4096) or []}


def test_no_cjk_font_refuses_chinese_cards_only(tmp_path: Path) -> None:
    missing = tmp_path / "NotoSansCJK-Regular.ttc"
    with pytest.raises(card_drawing.CardsUnavailable, match="install fonts-noto-cjk"):
        card_drawing.draw(NOTICE.card, missing)
    assert card_drawing.draw(CARDS["km"], missing)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "fonts-noto-cjk" in (card_drawing.problem(missing) or "")
    assert card_drawing.problem(CJK_FONT) is None


def test_without_the_shaper_no_card_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card_drawing.features, "check", lambda feature: False)
    card = dataclasses.replace(CARDS["my"], footer="another card, not drawn before")
    with pytest.raises(card_drawing.CardsUnavailable, match="libfribidi0"):
        card_drawing.draw(card, CJK_FONT)
