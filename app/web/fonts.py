"""The web fonts MIC serves for Burmese, Khmer and Lao, and the font stack that uses them.

The families are declared in app/web/static/fonts.css under names of MIC's own, so a page is
drawn with the served Unicode fonts even on a phone whose system font of the same script is
Zawgyi (which garbles Unicode Burmese) or missing; the installed Noto fonts follow as a fallback
for an SVG read outside a page.
"""

from __future__ import annotations

from typing import Final

WEB_FONT_FAMILIES: Final = ("MIC Myanmar", "MIC Khmer", "MIC Lao")

FONT_STACK: Final = ", ".join(
    (
        *(f'"{family}"' for family in WEB_FONT_FAMILIES),
        '"Noto Sans Myanmar"',
        '"Noto Sans Khmer"',
        '"Noto Sans Lao"',
        "system-ui",
        "sans-serif",
    )
)
