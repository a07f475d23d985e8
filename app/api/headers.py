"""Security headers on every response, whatever produced it (routes, errors, static files)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No page of MIC is meant to be framed (clickjacking), nor a JSON answer sniffed into HTML.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Pages for people (the console) add a policy for what they may load: only MIC's own files, no
# inline script or style, and forms posted back to MIC only. A signed-in page may show
# personal data: no cache, shared or private, keeps a copy after sign-out.
PAGE_PREFIXES = ("/console",)
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = HEADERS | {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"}
# The public board's pages load as little as the console's, but show nothing personal: shared
# caches may keep them (each page sets its own Cache-Control).
BOARD_PREFIX = "/board/"
BOARD_HEADERS = HEADERS | {"Content-Security-Policy": PAGE_POLICY}
# Browsers keep to https for a year once they saw this over https; never sent over plain http,
# where it would pin a deployment that has no certificate.
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        transport = {"Strict-Transport-Security": HSTS} if https else {}
        self.headers = HEADERS | transport
        self.page_headers = PAGE_HEADERS | transport
        self.board_headers = BOARD_HEADERS | transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        path: str = scope.get("path", "")
        page = any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)
        board = path == "/" or path.startswith(BOARD_PREFIX)
        chosen = self.page_headers if page else self.board_headers if board else self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in chosen.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
