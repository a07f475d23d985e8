"""Share cards drawn on the server: one published price or one sent notice as a PNG people
forward in their chat groups, readable on a phone that has no font for Burmese, Khmer or Lao.

A card is square, 1080 x 1080: chat apps (Telegram, Viber, WhatsApp, Messenger, LINE) show a
forwarded square photo whole, at the full width of the chat column, where a 1200 x 630 link
preview shape would be shown at the same width but half the height, its text half as large on a
phone held upright. It is drawn in a few flat colours and saved as a palette PNG of some twenty
kilobytes: cheap on a 2G connection, and sharp (a JPEG blurs small text).

Text is shaped by HarfBuzz through Pillow's libraqm (ImageFont.Layout.RAQM): Burmese medials and
vowels reordered, Khmer subscript consonants stacked, Lao tone marks placed. Without libraqm
Pillow falls back to drawing code points one after another, which is broken Burmese: cards are
then refused (`shaping_problem`), never drawn so. The script fonts hold their script only, so a
line is cut into runs, each drawn with the first font of the card's chain that has its
characters: the script's font, Noto Sans for Latin letters, digits, separators and currency
signs, the other scripts' fonts, and Noto Sans CJK (from the system) for Chinese.
"""

from __future__ import annotations

import enum
import io
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont, features

from app.text.lines import graphemes, line_pieces
from app.web.static import STATIC_DIR

SIZE: Final = 1080
MARGIN: Final = 72
WIDTH: Final = SIZE - 2 * MARGIN
HEADER: Final = 132
# Part of every card's ETag: a change to how cards are drawn must give every card a new one.
LAYOUT_VERSION: Final = "1"

Colour = tuple[int, int, int]
# The console's colours (app/web/static/console.css), each at least 4.5:1 on its background.
INK: Final[Colour] = (27, 31, 36)
MUTED: Final[Colour] = (74, 83, 96)
PAPER: Final[Colour] = (255, 255, 255)
ACCENT: Final[Colour] = (11, 92, 138)
RULE: Final[Colour] = (200, 206, 214)
# A rise is good news for a producer selling, so green; a fall red. The arrow says it too, for
# readers who cannot tell the two colours apart.
RISE: Final[Colour] = (30, 110, 50)
FALL: Final[Colour] = (164, 22, 26)
# Each colour drawn over its background, and the antialiasing steps between them: the card's
# palette (PALETTE below).
_INKINGS: Final = (
    (PAPER, INK),
    (PAPER, MUTED),
    (PAPER, ACCENT),
    (ACCENT, PAPER),
    (PAPER, RISE),
    (PAPER, FALL),
    (PAPER, RULE),
)
_STEPS: Final = 8  # eight shades from background to ink: smooth edges, no visible banding


@dataclass(frozen=True)
class Face:
    """One font: a file, and the face's number inside a collection (.ttc)."""

    path: str  # a string, not a Path: faces are hashed for every character measured
    index: int = 0


_WEB_FONTS: Final = STATIC_DIR / "fonts"
LATIN: Final = Face(str(Path(__file__).resolve().parent / "fonts" / "NotoSans-Regular.woff2"))
MYANMAR: Final = Face(str(_WEB_FONTS / "NotoSansMyanmar-Regular.woff2"))
KHMER: Final = Face(str(_WEB_FONTS / "NotoSansKhmer-Regular.woff2"))
LAO: Final = Face(str(_WEB_FONTS / "NotoSansLao-Regular.woff2"))
SCRIPT_FACES: Final = {"my": MYANMAR, "km": KHMER, "lo": LAO}
# Of a Noto Sans CJK collection (Debian's fonts-noto-cjk, MIC_CARD_CJK_FONT), the Simplified
# Chinese face is the one MIC's zh needs: the Japanese face, first in the file, draws some
# characters the two share in their Japanese forms.
SIMPLIFIED_CHINESE: Final = "SC"


class CardsUnavailable(Exception):
    """Cards cannot be drawn correctly in this process; the message says why and what to do."""


def shaping_problem() -> str | None:
    """Why Burmese, Khmer and Lao cannot be shaped here, or None when they can."""
    if features.check("raqm"):
        return None
    return (
        "share cards are off: Pillow's libraqm cannot shape Burmese, Khmer and Lao in this "
        "process (it loads the system's FriBiDi library: install libfribidi0)"
    )


_cjk_faces: dict[Path, Face] = {}


def cjk_face(path: Path) -> Face:
    """The Simplified Chinese face of a CJK font file (the file's only face when it has one).
    Only a face found is remembered: a font installed while MIC runs is used at once."""
    if path in _cjk_faces:
        return _cjk_faces[path]
    if not path.is_file():
        raise CardsUnavailable(
            f"Chinese share cards need the Noto Sans CJK font, and {path} does not exist: "
            "install fonts-noto-cjk, or set MIC_CARD_CJK_FONT to a CJK font file"
        )
    faces: list[Face] = []
    while True:
        face = Face(str(path), len(faces))
        try:
            family = str(_probe_font(face).getname()[0] or "")
        except OSError:
            break
        if family.endswith(SIMPLIFIED_CHINESE):
            _cjk_faces[path] = face
            return face
        faces.append(face)
    if len(faces) != 1:
        raise CardsUnavailable(
            f"{path} holds no Simplified Chinese face ({SIMPLIFIED_CHINESE}) for Chinese share "
            "cards: install fonts-noto-cjk, or set MIC_CARD_CJK_FONT to such a font"
        )
    _cjk_faces[path] = faces[0]
    return faces[0]


def font_chain(locale: str, cjk: Face | None) -> tuple[Face, ...]:
    """The fonts a card in `locale` tries, in order, for each piece of its text."""
    others = (MYANMAR, KHMER, LAO)
    if locale == "zh":
        if cjk is None:
            raise CardsUnavailable("Chinese share cards need a CJK font (MIC_CARD_CJK_FONT)")
        return (cjk, LATIN, *others)
    own = SCRIPT_FACES.get(locale)
    first = (own,) if own else ()
    rest = tuple(face for face in others if face != own)
    return (*first, LATIN, *rest, *((cjk,) if cjk else ()))


# --- which font has which character ----------------------------------------------------------

# Pillow exposes no character map. FreeType draws glyph 0 (.notdef, an empty box in Noto) for a
# code point a font does not map, and U+10FFFF is a noncharacter no font maps: a character
# drawn exactly as it is, with the same advance, is one the font lacks.
_NOT_A_CHARACTER: Final = "\U0010ffff"
_PROBE_SIZE: Final = 24


@lru_cache(maxsize=16)
def _probe_font(face: Face) -> ImageFont.FreeTypeFont:
    # The basic layout maps one code point to one glyph, as the question needs, shaper or not.
    return ImageFont.truetype(
        face.path, _PROBE_SIZE, index=face.index, layout_engine=ImageFont.Layout.BASIC
    )


def _drawn(face: Face, char: str) -> tuple[float, bytes]:
    font = _probe_font(face)
    canvas = Image.new("L", (3 * _PROBE_SIZE, 3 * _PROBE_SIZE))
    ImageDraw.Draw(canvas).text((_PROBE_SIZE, _PROBE_SIZE), char, font=font, fill=255)
    return font.getlength(char), canvas.tobytes()


@lru_cache(maxsize=16)
def _notdef(face: Face) -> tuple[float, bytes]:
    return _drawn(face, _NOT_A_CHARACTER)


def _invisible(char: str) -> bool:
    """Joiners, variation selectors and other format characters: the shaper uses or hides them
    whichever font holds the run, so they never decide the font."""
    return unicodedata.category(char) == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F


@lru_cache(maxsize=65536)
def has_char(face: Face, char: str) -> bool:
    return _invisible(char) or _drawn(face, char) != _notdef(face)


def _covers(face: Face, cluster: str) -> bool:
    return all(has_char(face, char) for char in cluster)


@lru_cache(maxsize=4096)
def runs(text: str, chain: tuple[Face, ...]) -> tuple[tuple[str, Face], ...]:
    """`text` as runs of one font each: a whole grapheme cluster in the first font of the chain
    that has all its characters, staying with the run's font as long as it has them (a space
    or a comma between Burmese words stays Burmese). A cluster no font has is drawn by the
    first font, as its box."""
    found: list[tuple[str, Face]] = []
    for cluster in graphemes(text):
        if found and _covers(found[-1][1], cluster):
            found[-1] = (found[-1][0] + cluster, found[-1][1])
            continue
        face = next((f for f in chain if _covers(f, cluster)), chain[0])
        if found and found[-1][1] == face:
            found[-1] = (found[-1][0] + cluster, face)
        else:
            found.append((cluster, face))
    return tuple(found)


# --- measuring, breaking and drawing lines ---------------------------------------------------


@lru_cache(maxsize=256)
def _font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        face.path, size, index=face.index, layout_engine=ImageFont.Layout.RAQM
    )


ELLIPSIS: Final = "…"


@dataclass(frozen=True)
class Typesetter:
    """The text of one card: its language (for line breaks and the shaper's language-specific
    forms) and the chain of fonts it is drawn with."""

    locale: str
    chain: tuple[Face, ...]
    # Breaking lines measures the same words again and again as a line grows.
    _widths: dict[tuple[str, int], float] = field(default_factory=dict, compare=False)

    def runs(self, text: str) -> tuple[tuple[str, Face], ...]:
        return runs(text, self.chain)

    def face_of(self, char: str) -> Face:
        return next((face for face in self.chain if has_char(face, char)), self.chain[0])

    def width(self, text: str, size: int) -> float:
        key = (text, size)
        if key not in self._widths:
            self._widths[key] = sum(
                _font(face, size).getlength(run, language=self.locale)
                for run, face in self.runs(text)
            )
        return self._widths[key]

    def pitch(self, text: str, size: int) -> tuple[int, int]:
        """Ascent and descent of lines of `text`: the largest of the fonts it uses, so Burmese
        stacks and Khmer subscripts keep their room above and below."""
        # The faces of its characters, each taken alone: the same faces its runs use, found
        # without cutting a notice of thousands of characters into runs.
        faces = {self.face_of(char) for char in set(text)} or {self.chain[0]}
        metrics = [_font(face, size).getmetrics() for face in faces]
        return max(a for a, _ in metrics), max(d for _, d in metrics)

    def draw(
        self,
        canvas: ImageDraw.ImageDraw,
        origin: tuple[float, float],
        text: str,
        size: int,
        colour: Colour,
    ) -> None:
        """One line, its left end at `origin` on the baseline: every run on the same baseline."""
        x, baseline = origin
        for run, face in self.runs(text):
            font = _font(face, size)
            canvas.text(
                (x, baseline), run, font=font, fill=colour, anchor="ls", language=self.locale
            )
            x += font.getlength(run, language=self.locale)

    def wrap(self, text: str, size: int, width: float, max_lines: int) -> list[str]:
        """`text` in at most `max_lines` lines of at most `width` pixels, a new line for each
        of its own; what does not fit is left out, and the last line then ends in an ellipsis.
        Only as much of the text is read as the lines can hold, however long it is."""
        lines: list[str] = []
        for paragraph in filter(None, (p.strip() for p in text.splitlines())):
            line = ""
            for piece in self._pieces(paragraph, size, width):
                if line and self.width((line + piece).rstrip(), size) > width:
                    lines.append(line.rstrip())
                    line = ""
                    if len(lines) > max_lines:
                        break
                line += piece
            lines.append(line.rstrip())
            if len(lines) > max_lines:
                break
        if len(lines) <= max_lines:
            return lines
        kept = lines[:max_lines]
        kept[-1] = self._ellipsised(kept[-1], size, width)
        return kept

    def _pieces(self, paragraph: str, size: int, width: float) -> Iterator[str]:
        """Where lines of `paragraph` may break; a word wider than a line (a long number, a
        link) is cut between two grapheme clusters."""
        for piece in line_pieces(paragraph, self.locale):
            if self.width(piece.rstrip(), size) <= width:
                yield piece
                continue
            part = ""
            for cluster in graphemes(piece):
                if part and self.width(part + cluster, size) > width:
                    yield part
                    part = ""
                part += cluster
            yield part

    def _ellipsised(self, line: str, size: int, width: float) -> str:
        """`line` shortened to end in an ellipsis within `width`: by whole words while more
        than one is left, then by grapheme clusters."""
        pieces = list(line_pieces(line, self.locale))
        while len(pieces) > 1 and self.width("".join(pieces).rstrip() + ELLIPSIS, size) > width:
            pieces.pop()
        clusters = graphemes("".join(pieces))
        while clusters and self.width("".join(clusters).rstrip() + ELLIPSIS, size) > width:
            clusters.pop()
        return "".join(clusters).rstrip() + ELLIPSIS


# --- cards -----------------------------------------------------------------------------------


class Trend(enum.Enum):
    RISE = "rise"
    FALL = "fall"
    FLAT = "flat"
    NEW = "new"  # the first published price of its series: nothing to compare with


@dataclass(frozen=True)
class PriceCard:
    """What a price card says, every text already in the reader's language and digits."""

    locale: str
    brand: str
    title: str  # the commodity (variety)
    place: str  # the market, the country
    price: str  # the amount with its currency
    unit: str  # "per tonne"
    change: str  # "+CN¥600 (+5.0%) since Nov 12", "no change since ...", "first price ..."
    trend: Trend
    footer: str  # "As of Nov 26, 2026 · Border price"


@dataclass(frozen=True)
class NoticeCard:
    """What a notice card says, every text already in the reader's language and digits."""

    locale: str
    brand: str
    heading: str  # "Market notice", "Urgent market notice"
    urgent: bool
    audience: str  # the countries, markets and commodities it is about
    body: str  # the notice's own text, however long: the card cuts it to fit
    footer: str  # "Sent Nov 26, 2026"


Card = PriceCard | NoticeCard

# Where things go, top to bottom: the header band with MIC's name, the paragraphs, a rule, the
# footer. Sizes are the largest used; they shrink together (_SCALES) until the text fits.
PAD: Final = 48
CONTENT_TOP: Final = HEADER + PAD
_SCALES: Final = (1.0, 0.9, 0.8, 0.7, 0.6)
# A notice too long for the card at any scale is cut at this one: its body stays readable on a
# phone (about 13 CSS pixels once a chat app fits the card to a 360-pixel screen).
_CUT_SCALE: Final = 0.8
_MIN_FIT: Final = 0.5  # a price too wide for its line shrinks alone, down to half its size
_MIN_SIZE: Final = 12


def _even(size: float) -> int:
    """Sizes are even numbers of pixels: loading a WOFF2 font at a new size costs tens of
    milliseconds (FreeType decompresses it again), and fonts are kept per size, so cards share
    a few dozen sizes rather than every size a scale could give."""
    return max(_MIN_SIZE, 2 * round(size / 2))


@dataclass(frozen=True)
class Block:
    """A paragraph of a card: its text, largest size, colour and most lines. `fill` lets it take
    every line the others leave (a notice's body); `fit_one_line` shrinks it to one line before
    breaking it (the price); `marker` draws the change's arrow before its first line."""

    text: str
    size: int
    colour: Colour
    max_lines: int
    gap_before: int = 0
    fit_one_line: bool = False
    fill: bool = False
    marker: Trend | None = None

    @property
    def indent(self) -> bool:
        return self.marker in (Trend.RISE, Trend.FALL)


@dataclass(frozen=True)
class SetBlock:
    """A block set at one size: its lines, their ascent and descent, and its gap above."""

    block: Block
    size: int
    gap: int
    lines: list[str]
    ascent: int
    descent: int

    @property
    def height(self) -> int:
        return self.gap + len(self.lines) * (self.ascent + self.descent)

    @property
    def cut(self) -> bool:
        return bool(self.lines) and self.lines[-1].endswith(ELLIPSIS)


def _marker_width(size: int) -> int:
    return round(size * 0.9)


def _set(setter: Typesetter, block: Block, scale: float, room: int, *, single: bool) -> SetBlock:
    size = _even(block.size * scale)
    gap = round(block.gap_before * scale)
    width = WIDTH - (_marker_width(size) if block.indent else 0)
    if block.fit_one_line and (wide := setter.width(block.text, size)) > width:
        # Text grows with its size: start from the size that should just fit, then step down.
        smallest = _even(size * _MIN_FIT)
        size = max(smallest, min(size, _even(size * width / wide)))
        while size > smallest and setter.width(block.text, size) > width:
            size -= 2
    ascent, descent = setter.pitch(block.text, size)
    most = 1 if single else block.max_lines
    if block.fill:
        most = max(1, (room - gap) // (ascent + descent))
    return SetBlock(block, size, gap, setter.wrap(block.text, size, width, most), ascent, descent)


@dataclass(frozen=True)
class Layout:
    blocks: list[SetBlock]
    footer: SetBlock
    rule: int  # where the rule above the footer is drawn

    @property
    def fits(self) -> bool:
        return CONTENT_TOP + sum(b.height for b in self.blocks) <= self.rule - PAD // 2

    @property
    def whole(self) -> bool:
        return not any(b.block.fill and b.cut for b in self.blocks)


def _try(
    setter: Typesetter, blocks: Sequence[Block], footer: Block, scale: float, *, single: bool
) -> Layout:
    foot = _set(setter, footer, scale, SIZE, single=single)
    rule = SIZE - PAD - foot.height - PAD // 2
    room = rule - PAD // 2 - CONTENT_TOP
    placed: list[SetBlock] = []
    for block in blocks:
        placed.append(
            _set(setter, block, scale, room - sum(b.height for b in placed), single=single)
        )
    return Layout(placed, foot, rule)


def layout(setter: Typesetter, blocks: Sequence[Block], footer: Block) -> Layout:
    """The largest scale at which the whole text fits; else, for a notice too long for any,
    its body cut at _CUT_SCALE; else one line a paragraph at the smallest scale, which always
    fits (every paragraph then cut to its line)."""
    attempts: dict[float, Layout] = {}
    for scale in _SCALES:
        attempts[scale] = _try(setter, blocks, footer, scale, single=False)
        if attempts[scale].fits and attempts[scale].whole:
            return attempts[scale]
    if attempts[_CUT_SCALE].fits:
        return attempts[_CUT_SCALE]
    return _try(setter, blocks, footer, _SCALES[-1], single=True)


def _draw_marker(
    canvas: ImageDraw.ImageDraw,
    trend: Trend,
    origin: tuple[float, float],
    size: int,
    colour: Colour,
) -> None:
    """The change's arrow, drawn as a triangle: Noto Sans has no ▲, and a card must not depend
    on the CJK font (which has) for it."""
    x, baseline = origin
    side = size * 0.62
    top = baseline - size * 0.68
    left = x + size * 0.04
    if trend is Trend.RISE:
        points = [(left, top + side), (left + side, top + side), (left + side / 2, top)]
    else:
        points = [(left, top), (left + side, top), (left + side / 2, top + side)]
    canvas.polygon(points, fill=colour)


def _draw_blocks(
    canvas: ImageDraw.ImageDraw, setter: Typesetter, placed: Sequence[SetBlock], top: int
) -> None:
    y = top
    for set_block in placed:
        block = set_block.block
        y += set_block.gap
        for number, line in enumerate(set_block.lines):
            baseline = y + set_block.ascent
            x = MARGIN
            if block.indent and block.marker is not None:
                if number == 0:
                    _draw_marker(canvas, block.marker, (x, baseline), set_block.size, block.colour)
                x += _marker_width(set_block.size)
            setter.draw(canvas, (x, baseline), line, set_block.size, block.colour)
            y += set_block.ascent + set_block.descent


def _draw_header(canvas: ImageDraw.ImageDraw, setter: Typesetter, brand: str) -> None:
    canvas.rectangle((0, 0, SIZE, HEADER), fill=ACCENT)
    size = 44
    while size > 24 and setter.width(brand, size) > WIDTH:
        size -= 2
    (line,) = setter.wrap(brand, size, WIDTH, 1)
    ascent, descent = setter.pitch(line, size)
    setter.draw(canvas, (MARGIN, (HEADER - ascent - descent) / 2 + ascent), line, size, PAPER)


def _palette() -> Image.Image:
    shades: list[Colour] = []
    for background, ink in _INKINGS:
        for step in range(_STEPS):
            t = step / (_STEPS - 1)
            shade = tuple(round(b + (i - b) * t) for b, i in zip(background, ink, strict=True))
            if shade not in shades:
                shades.append((shade[0], shade[1], shade[2]))
    palette = Image.new("P", (1, 1))
    palette.putpalette([value for shade in shades for value in shade])
    return palette


# A card is drawn in true colour, then each pixel takes the nearest colour of this palette: a
# palette PNG a fraction of the size, with the card's own colours exact (a palette computed
# from each image would shift them, and costs twenty times as long).
PALETTE: Final = _palette()


def _png(
    setter: Typesetter,
    brand: str,
    blocks: Sequence[Block],
    footer: Block,
    *,
    centred: bool,
) -> bytes:
    placed = layout(setter, blocks, footer)
    image = Image.new("RGB", (SIZE, SIZE), PAPER)
    canvas = ImageDraw.Draw(image)
    _draw_header(canvas, setter, brand)
    spare = placed.rule - PAD // 2 - CONTENT_TOP - sum(b.height for b in placed.blocks)
    _draw_blocks(canvas, setter, placed.blocks, CONTENT_TOP + (spare // 2 if centred else 0))
    canvas.line((MARGIN, placed.rule, SIZE - MARGIN, placed.rule), fill=RULE, width=2)
    _draw_blocks(canvas, setter, [placed.footer], placed.rule + PAD // 2)
    out = io.BytesIO()
    # zlib's default level: its best (9) saves 5 to 8 % more for up to six times the time.
    image.quantize(palette=PALETTE, dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=6
    )
    return out.getvalue()


_TREND_COLOUR: Final = {Trend.RISE: RISE, Trend.FALL: FALL, Trend.FLAT: MUTED, Trend.NEW: MUTED}


def price_blocks(card: PriceCard) -> tuple[list[Block], Block]:
    """A price card's paragraphs, top to bottom, and its footer."""
    blocks = [
        Block(card.title, 68, INK, 2),
        Block(card.place, 44, MUTED, 2, gap_before=8),
        Block(card.price, 150, INK, 2, gap_before=36, fit_one_line=True),
        Block(card.unit, 44, MUTED, 1),
        Block(card.change, 46, _TREND_COLOUR[card.trend], 2, gap_before=36, marker=card.trend),
    ]
    return blocks, Block(card.footer, 36, MUTED, 2)


def notice_blocks(card: NoticeCard) -> tuple[list[Block], Block]:
    """A notice card's paragraphs, top to bottom (the body takes the room left), and its
    footer."""
    blocks = [
        Block(card.heading, 50, FALL if card.urgent else ACCENT, 1),
        Block(card.audience, 36, MUTED, 2, gap_before=8),
        Block(card.body, 56, INK, 1, gap_before=32, fill=True),
    ]
    return blocks, Block(card.footer, 36, MUTED, 1)


def typesetter(locale: str, cjk_font: Path) -> Typesetter:
    """How a card in `locale` is set. Raises CardsUnavailable when it cannot be set correctly
    here: no shaper, or no CJK font for a Chinese card (other cards use that font, when it is
    there, only for a character no other font has)."""
    problem = shaping_problem()
    if problem:
        raise CardsUnavailable(problem)
    cjk: Face | None = None
    try:
        cjk = cjk_face(cjk_font)
    except CardsUnavailable:
        if locale == "zh":
            raise
    return Typesetter(locale, font_chain(locale, cjk))


# FreeType faces are not safe to use from two threads at once, and a card is a burst of CPU:
# one card is drawn at a time per process, the others wait their turn.
_drawing = threading.Lock()


def problem(cjk_font: Path) -> str | None:
    """Why cards, all or the Chinese ones, cannot be drawn in this process; None when they can."""
    with _drawing:
        try:
            typesetter("zh", cjk_font)
        except CardsUnavailable as exc:
            return str(exc)
    return None


@lru_cache(maxsize=128)
def draw(card: Card, cjk_font: Path) -> bytes:
    """The PNG of a card; a card drawn before comes from memory. Raises CardsUnavailable when
    it cannot be drawn correctly here."""
    with _drawing:
        setter = typesetter(card.locale, cjk_font)
        if isinstance(card, PriceCard):
            return _png(setter, card.brand, *price_blocks(card), centred=True)
        return _png(setter, card.brand, *notice_blocks(card), centred=False)
