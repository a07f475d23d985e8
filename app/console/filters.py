"""Reading a list page's filter form, whose selects send an empty value for "any"."""

from __future__ import annotations

import enum
from typing import TypeVar

from app.core.errors import InvalidInput

E = TypeVar("E", bound=enum.Enum)


def chosen(kind: type[E], value: str) -> E | None:
    """The choice `value` of the enum `kind`, or None for "any"; anything else is refused."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in kind)
        raise InvalidInput(f"{value!r} is not one of {choices}") from None
