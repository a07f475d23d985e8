"""Fields of a partial update (PATCH): left out, a field keeps its value; null is refused where
the value cannot be empty (a price needs an amount, a lead an expiry), with a 422 naming it."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field
from pydantic.json_schema import SkipJsonSchema

T = TypeVar("T")


def _not_null(value: T | None) -> T:
    # Only an explicit null reaches this: the default of a left-out field is not validated.
    if value is None:
        raise ValueError("leave the field out to keep it; it cannot be null")
    return value


def _without_default(schema: dict[str, Any]) -> None:
    # The None default is "not given", not a value a client may send: the schema says so.
    schema.pop("default", None)


Omittable = Annotated[
    T | SkipJsonSchema[None],
    AfterValidator(_not_null),
    Field(json_schema_extra=_without_default),
]
