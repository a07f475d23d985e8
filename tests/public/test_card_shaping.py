"""A broken shaper fails these: Burmese, Khmer and Lao as the cards draw them are compared with
what correct shaping must give, glyph run by glyph run, and with committed reference images.

Pillow tells no glyph ids, but a shaper's work shows in what it draws: it reorders a vowel
written after its consonant to stand before it (so the logical string drawn shaped equals the
visual order drawn code point by code point), it puts a Khmer subscript consonant under its base
(taking no width of its own) and a Burmese kinzi over the next consonant, and it stacks a Lao
tone mark above a vowel sign instead of over it. The basic layout (what Pillow falls back to
without libraqm) does none of this, and each check proves it tells the two apart.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.public.card_drawing import KHMER, LAO, MYANMAR, Face
from tests.public.references import (
    LINE_TOLERANCE,
    SHAPING,
    differing_pixels,
    reference,
    shaped_line,
)

pytestmark = pytest.mark.usefixtures("drawable")

RAQM = ImageFont.Layout.RAQM
BASIC = ImageFont.Layout.BASIC
SIZE = 64


def font(face: Face, layout: ImageFont.Layout) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, SIZE, layout_engine=layout)


def drawn(face: Face, text: str, layout: ImageFont.Layout) -> Image.Image:
    image = Image.new("L", (480, 160), 255)
    ImageDraw.Draw(image).text((24, 110), text, font=font(face, layout), fill=0, anchor="ls")
    return image


@pytest.mark.parametrize(
    ("face", "logical", "visual"),
    [
        pytest.param(MYANMAR, "ကေ", "ေက", id="my-vowel-e-before-ka"),
        pytest.param(MYANMAR, "သော", "ေသာ", id="my-vowel-o-split-around-tha"),
        pytest.param(KHMER, "កែ", "ែក", id="km-vowel-ae-before-ka"),
        pytest.param(KHMER, "លៃ", "ៃល", id="km-vowel-ai-before-lo"),
    ],
)
def test_a_vowel_written_after_its_consonant_is_drawn_before_it(
    face: Face, logical: str, visual: str
) -> None:
    shaped = drawn(face, logical, RAQM)
    assert differing_pixels(shaped, drawn(face, visual, BASIC)) <= 8, (
        f"{logical!r} shaped should draw as its visual order {visual!r}"
    )
    assert differing_pixels(shaped, drawn(face, logical, BASIC)) > 400


@pytest.mark.parametrize(
    ("face", "stacked", "base"),
    [
        pytest.param(KHMER, "ក្ក", "ក", id="km-subscript-ka-under-ka"),
        pytest.param(KHMER, "ភ្នំ", "ភំ", id="km-subscript-no-in-phnom"),
        pytest.param(MYANMAR, "သင်္ဘော", "သဘော", id="my-kinzi-over-the-next-consonant"),
    ],
)
def test_a_stacked_consonant_takes_no_width_of_its_own(face: Face, stacked: str, base: str) -> None:
    assert font(face, RAQM).getlength(stacked) == pytest.approx(font(face, RAQM).getlength(base))
    # Drawn one code point after another, the stack spreads out along the line.
    assert font(face, BASIC).getlength(stacked) > font(face, BASIC).getlength(base) * 1.15


def test_a_lao_tone_mark_is_stacked_above_the_vowel_sign_it_shares_a_consonant_with() -> None:
    shaped, basic = font(LAO, RAQM), font(LAO, BASIC)
    vowel_top = shaped.getbbox("ລື")[1]
    assert shaped.getbbox("ລື່")[1] < vowel_top - SIZE // 8  # the tone mark rises clear of it
    assert basic.getbbox("ລື່")[1] == basic.getbbox("ລື")[1]  # unshaped, the two collide
    assert shaped.getbbox("ເລື່ອງ")[1] < basic.getbbox("ເລື່ອງ")[1]


@pytest.mark.parametrize("locale", sorted(SHAPING))
def test_a_shaped_line_matches_its_reference_and_not_the_unshaped_drawing(locale: str) -> None:
    shaped = shaped_line(locale)
    wanted = reference(f"shaping-{locale}.png")
    assert differing_pixels(shaped, wanted) <= LINE_TOLERANCE, (
        f"{SHAPING[locale]!r} no longer draws as tests/public/cards/shaping-{locale}.png"
    )
    # Unshaped, the line is far from it: Lao, whose shaping only lifts tone marks, by some
    # 1 200 pixels, Khmer by 6 000, Burmese by 9 000.
    unshaped = shaped_line(locale, BASIC)
    assert differing_pixels(unshaped, wanted) > 4 * LINE_TOLERANCE
