"""The bases of request input: a field the model does not know is refused, never dropped, and
enum values are read in any case.

A typo such as "varietyy" used to vanish and the price was stored without its variety; now the
request fails with a 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict


class StrictInput(BaseModel):
    """Subclass this (not BaseModel) for anything a client sends; responses stay BaseModel."""

    model_config = ConfigDict(extra="forbid")


class CaseInsensitiveEnum(enum.StrEnum):
    """An enum a client may write in any case: "Border", "BORDER" and "border" are one value.

    `_missing_` is what both Enum("Border") and pydantic (bodies and query parameters) fall
    back on; the stored and returned value stays the canonical lower-case one.
    """

    @classmethod
    def _missing_(cls, value: object) -> CaseInsensitiveEnum | None:
        if isinstance(value, str):
            wanted = value.strip().casefold()
            return next((m for m in cls if m.value.casefold() == wanted), None)
        return None
