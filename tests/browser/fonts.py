"""Which fonts Chromium really drew an element's text with, as its DevTools report them."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page


@dataclass(frozen=True)
class UsedFont:
    family: str
    web_font: bool  # downloaded by the page (@font-face), not a font installed on the machine
    glyphs: int


def fonts_drawing(page: Page, selector: str) -> list[UsedFont]:
    """The fonts that drew the text of the first element matching `selector`, with how many
    glyphs each drew (CSS.getPlatformFontsForNode: what the renderer used, not what the
    stylesheet asked for)."""
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            raise AssertionError(f"no element matches {selector!r}")
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        session.detach()
    return [UsedFont(f["familyName"], bool(f["isCustomFont"]), int(f["glyphCount"])) for f in fonts]
