"""Control characters are refused in every piece of text the API is given, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from app.text.normalize import control_character

Location = tuple[str | int, ...]


def _strings(value: Any, loc: Location) -> Iterator[tuple[Location, str]]:
    # Iterative: a body nested thousands deep must not exhaust the interpreter's stack.
    stack: list[tuple[Location, Any]] = [(loc, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, inner in item.items():
                yield (*where, key), key
                stack.append(((*where, key), inner))
        elif isinstance(item, list):
            stack.extend(((*where, i), inner) for i, inner in enumerate(item))


async def refuse_control_characters(request: Request) -> None:
    """A router dependency: path, query and JSON body are checked before any field is used, so
    every route, today's and tomorrow's, answers 422 naming the field instead of storing it."""
    texts: list[tuple[Location, str]] = [
        (("path", k), v) for k, v in request.path_params.items() if isinstance(v, str)
    ]
    texts += [(("query", k), v) for k, v in request.query_params.multi_items()]
    texts += [(("query", k), k) for k in request.query_params]
    if "json" in request.headers.get("content-type", "") and await request.body():
        try:
            # Parsed and cached already when the route takes a body: FastAPI reads it first.
            body = await request.json()
        except (ValueError, RecursionError):
            body = None  # a route without a body ignores what was sent, and so does this check
        texts.extend(_strings(body, ("body",)))
    problems = [
        {
            "loc": list(loc),
            "msg": f"control character {found} is not allowed",
            "type": "control_character",
        }
        for loc, text in texts
        if (found := control_character(text)) is not None
    ]
    if problems:
        raise RequestValidationError(problems)
