"""The share cards' committed reference images, how a drawing is compared with them, and how
they are drawn again on purpose:

    .venv/bin/python -m tests.public.references

writes into tests/public/cards/ the five sample cards of tests/public/samples.py (card-my.png,
card-km.png, card-lo.png, card-vi.png, card-zh.png) and one shaped line per script
(shaping-my.png, shaping-km.png, shaping-lo.png). Run it only when a change is meant to change
how cards look (and then raise card_drawing.LAYOUT_VERSION, so cached cards are not served
again), or when the text of a sample card changed; look at every image it wrote before
committing them. It needs what the cards need: Pillow's libraqm (libfribidi0) and the Noto Sans
CJK font (fonts-noto-cjk).

A drawing matches its reference when few pixels differ by more than a few shades of grey:
another FreeType or HarfBuzz release may draw the edge of a glyph a little lighter or darker,
but a glyph out of place, missing or drawn in the wrong font moves hundreds of pixels.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Final

from PIL import Image, ImageChops, ImageDraw, ImageFont

from app.core.config import Settings
from app.public import card_drawing
from app.public.card_drawing import SCRIPT_FACES
from tests.public.samples import CARDS

REFERENCES: Final = Path(__file__).resolve().parent / "cards"
CJK_FONT: Final = Settings.model_fields["card_cjk_font"].default
# A pixel counts as different when its grey level moved by more than this (of 255).
SHADES: Final = 96
# How many such pixels a whole card (1080 x 1080) and a shaped line may have: a twentieth of a
# percent, where one Burmese syllable shaped wrong alone moves several hundred.
CARD_TOLERANCE: Final = 580
LINE_TOLERANCE: Final = 120

# A line per script whose shaping a broken shaper gets wrong: Burmese kinzi (သင်္ဘော), medial
# ra (ဖြ) and vowels written before their consonant (ော, ေ); Khmer subscript consonants
# (ស្ត្រី, ភ្នំ) and vowels drawn before theirs (តម្លៃ); Lao tone marks stacked over vowels (ເລື່ອງ,
# ມ່ວງ) and the subscript lo (ຫຼ).
SHAPING: Final = {
    "my": "သင်္ဘောဖြင့် ပို့သော သရက်သီးဈေး",
    "km": "តម្លៃសូត្រ ស្ត្រី ភ្នំស្រុក",
    "lo": "ເລື່ອງລາຄາໝາກມ່ວງ ຫຼວງພະບາງ",
}
LINE_SIZE: Final = 48
LINE_BOX: Final = (860, 130)


def reference(name: str) -> Image.Image:
    return Image.open(REFERENCES / name)


def differing_pixels(drawn: Image.Image, wanted: Image.Image) -> int:
    """Pixels where a colour channel differs by more than SHADES (a rise drawn red instead of
    green counts, though both are as dark); every pixel when the sizes differ."""
    if drawn.size != wanted.size:
        return drawn.width * drawn.height
    red, green, blue = ImageChops.difference(drawn.convert("RGB"), wanted.convert("RGB")).split()
    most = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return most.point(lambda shade: 255 if shade > SHADES else 0).histogram()[255]


def shaped_line(locale: str, layout: ImageFont.Layout = ImageFont.Layout.RAQM) -> Image.Image:
    """SHAPING[locale] drawn black on white in its script's card font, shaped by libraqm (or
    drawn code point after code point with the basic layout, as a broken build would)."""
    font = ImageFont.truetype(SCRIPT_FACES[locale].path, LINE_SIZE, layout_engine=layout)
    image = Image.new("L", LINE_BOX, 255)
    ImageDraw.Draw(image).text(
        (16, LINE_BOX[1] * 0.62), SHAPING[locale], font=font, fill=0, anchor="ls"
    )
    return image


def card_image(key: str) -> Image.Image:
    return Image.open(io.BytesIO(card_drawing.draw(CARDS[key], CJK_FONT)))


def main() -> int:
    problem = card_drawing.problem(CJK_FONT)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    REFERENCES.mkdir(exist_ok=True)
    for locale in SHAPING:
        shaped_line(locale).save(REFERENCES / f"shaping-{locale}.png", optimize=True)
    for key in CARDS:
        (REFERENCES / f"card-{key}.png").write_bytes(card_drawing.draw(CARDS[key], CJK_FONT))
    for path in sorted(REFERENCES.glob("*.png")):
        print(
            f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}: "
            f"{path.stat().st_size} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
