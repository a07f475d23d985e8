"""The static files at /static/: web fonts, their stylesheet, and how long browsers keep them."""

from __future__ import annotations

import re

import httpx

from app.web.fonts import WEB_FONT_FAMILIES
from app.web.static import STATIC_DIR

FONTS = sorted((STATIC_DIR / "fonts").glob("*.woff2"))
FACE = re.compile(r"@font-face\s*{(.*?)}", re.S)


def faces() -> list[dict[str, str]]:
    css = (STATIC_DIR / "fonts.css").read_text(encoding="utf-8")
    return [
        {key.strip(): value.strip() for key, value in re.findall(r"([\w-]+)\s*:\s*([^;]+);", body)}
        for body in FACE.findall(css)
    ]


def test_every_committed_font_is_a_woff2_with_its_licence_and_origin() -> None:
    names = {font.name for font in FONTS}
    assert {"NotoSansMyanmar-Regular.woff2", "NotoSansKhmer-Regular.woff2"} <= names
    assert "NotoSansLao-Regular.woff2" in names
    for font in FONTS:
        assert font.read_bytes()[:4] == b"wOF2", font.name
    licence = (STATIC_DIR / "fonts" / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    origin = (STATIC_DIR / "fonts" / "ORIGIN.md").read_text(encoding="utf-8")
    assert all(font.name in origin for font in FONTS)
    assert "fonts-noto-core" in origin


def test_each_face_is_swapped_in_for_its_own_script_only() -> None:
    declared = faces()
    assert {face["font-family"].strip('"') for face in declared} == set(WEB_FONT_FAMILIES)
    sources = {url for face in declared for url in re.findall(r'url\("([^"]+)"\)', face["src"])}
    assert sources == {f"fonts/{font.name}" for font in FONTS}
    ranges = {face["font-family"].strip('"'): face["unicode-range"] for face in declared}
    assert "U+1000-109F" in ranges["MIC Myanmar"]
    assert "U+1780-17FF" in ranges["MIC Khmer"]
    assert "U+0E81-0EDF" in ranges["MIC Lao"]
    for face in declared:
        assert face["font-display"] == "swap"
        # No Latin: an English or Vietnamese page downloads none of these fonts.
        assert "U+0000" not in face["unicode-range"] and "U+00" not in face["unicode-range"]


async def test_fonts_are_served_with_a_long_cache_and_the_stylesheet_revalidated(
    client: httpx.AsyncClient,
) -> None:
    font = await client.get("/static/fonts/NotoSansMyanmar-Regular.woff2")
    assert font.status_code == 200
    assert font.headers["content-type"] == "font/woff2"
    assert font.content == (STATIC_DIR / "fonts" / "NotoSansMyanmar-Regular.woff2").read_bytes()
    assert font.headers["cache-control"] == "public, max-age=31536000, immutable"
    css = await client.get("/static/fonts.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "no-cache"
    again = await client.get("/static/fonts.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == "no-cache"
    assert css.headers["x-content-type-options"] == "nosniff"


async def test_a_missing_or_escaping_static_path_is_a_404(client: httpx.AsyncClient) -> None:
    missing = await client.get("/static/fonts/NotoSansThai-Regular.woff2")
    assert missing.status_code == 404
    assert "cache-control" not in missing.headers
    outside = await client.get("/static/../main.py")
    assert outside.status_code == 404
    escaped = await client.get("/static/%2e%2e/main.py")
    assert escaped.status_code == 404
