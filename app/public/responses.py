"""What the public JSON routes (/open/v1) may answer besides their content, for the OpenAPI."""

from __future__ import annotations

from typing import Any

from app.api.errors import ErrorBody, InvalidInputBody

_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before asking again"}}

OPEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the copy the client named (If-None-Match) is current"},
    422: {
        "description": "The request is not valid: an unknown name, a bad range (invalid_input)",
        "model": InvalidInputBody,
    },
    429: {
        "description": "Too many requests from this client (too_many_requests)",
        "model": ErrorBody,
        "headers": _RETRY_AFTER,
    },
    503: {
        "description": "Too many public requests at once (busy)",
        "model": ErrorBody,
        "headers": _RETRY_AFTER,
    },
}
