"""The files under app/web/static/, served at /static/: styles and the web fonts.

Fonts are cached for a year: they are large next to a page (the Burmese font alone is 63 KB) and
a CDE on a phone at Muse should download each once. A font that changes gets a new file name
(fonts/ORIGIN.md), so a long-cached one is never stale. Other files are revalidated on each use
(their ETag makes that a 304 without a body), so a change to a style shows at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
STATIC_PATH: Final = "/static"
FONT_CACHE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"


class CachedStaticFiles(StaticFiles):
    """Starlette's static files with the cache policy above."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            long_lived = path.startswith("fonts/") and path.endswith(".woff2")
            response.headers["Cache-Control"] = FONT_CACHE if long_lived else REVALIDATE
        return response


def static_files() -> CachedStaticFiles:
    return CachedStaticFiles(directory=STATIC_DIR)
