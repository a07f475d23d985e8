"""Request-size limits, enforced while the body streams in (Content-Length can lie or be absent)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response

JSON_LIMIT = 1_000_000  # 1 MB: far beyond any honest price, lead, notice or producer
UPLOAD_LIMIT = 10_000_000  # CSV imports


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = UPLOAD_LIMIT if scope["path"].endswith("/import") else JSON_LIMIT
        detail = f"request body over {limit // 1_000_000} MB"
        declared = dict(scope["headers"]).get(b"content-length")
        # The console answers in HTML, in its reader's language: its error pages take the
        # refusal raised below, once the body is read past the limit.
        console = scope["path"].startswith("/console/")
        if not console and declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(413, "too_large", detail)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, because whoever reads the body (FastAPI's parser, an
                    # import route, a webhook) passes it on to the error handlers unchanged;
                    # any other exception FastAPI's parser turns into a 400.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, limited_receive, send)
