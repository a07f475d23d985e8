"""What a request may carry: only the query parameters its route declares, and help for the
body fields it may not.

`GET /producers?q=thida` used to answer with every producer because `q` was ignored; a client
cannot tell a filter that does nothing from one that matched everything, so unknown parameters
are refused with a 422 that names them and lists what the route takes. Body models refuse
unknown fields through `app.core.inputs.StrictInput`; the messages for both are written here.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel


def _query_names(dependant: Dependant) -> Iterator[str]:
    yield from (param.alias for param in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameters a route reads, its own and those of its dependencies."""
    return frozenset(_query_names(route.dependant))


def did_you_mean(name: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


async def reject_unknown_query(request: Request) -> None:
    """Router dependency: 422 for any query parameter the matched route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = declared_query(route)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    if not unknown:
        return
    takes = ", ".join(sorted(known)) if known else "no query parameters"
    raise RequestValidationError(
        [
            {
                "loc": ("query", name),
                "msg": f"unknown query parameter {name!r}{did_you_mean(name, known)} "
                f"(this endpoint takes {takes})",
                "type": "extra_forbidden",
            }
            for name in unknown
        ]
    )


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation may hold: `X`, `X | None`, `list[X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def body_model(route: APIRoute) -> type[BaseModel] | None:
    """The model a route reads its JSON body into, if it has one."""
    if route.body_field is None:
        return None
    models = _models_in(route.body_field.field_info.annotation)
    return models[0] if models else None


def _model_at(model: type[BaseModel], path: typing.Sequence[Any]) -> type[BaseModel] | None:
    """The model a body location points into: ("consent",) in ProducerCreate is ConsentIn."""
    for step in path:
        field = model.model_fields.get(str(step)) if isinstance(step, str) else None
        if field is None:
            if isinstance(step, int):  # an item of a list: same model
                continue
            return None
        found = _models_in(field.annotation)
        if not found:
            return None
        model = found[0]
    return model


def explain_body_error(route: APIRoute | None, error: dict[str, Any]) -> str:
    """A validation message that says what to send: the unknown field with its likely meaning,
    the fields a missing body needs."""
    loc, kind, msg = list(error.get("loc", ())), error.get("type", ""), error.get("msg", "")
    model = body_model(route) if route is not None else None
    if model is None or not loc or loc[0] != "body":
        return str(msg)
    if kind == "extra_forbidden" and len(loc) >= 2:
        holder = _model_at(model, loc[1:-1])
        name = str(loc[-1])
        fields = holder.model_fields if holder else {}
        return f"unknown field {name!r}{did_you_mean(name, fields)}" + (
            f" (allowed: {', '.join(fields)})" if fields else ""
        )
    if kind == "missing" and loc == ["body"]:
        required = [n for n, f in model.model_fields.items() if f.is_required()]
        if required:
            names = ", ".join(repr(n) for n in required)
            verb = "is" if len(required) == 1 else "are"
            return f"{names} {verb} required: send a JSON body with {names}"
    return str(msg)
