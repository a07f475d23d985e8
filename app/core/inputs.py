"""The base of every request body: a field the model does not know is refused, never dropped.

A typo such as "varietyy" used to vanish and the price was stored without its variety; now the
request fails with a 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictInput(BaseModel):
    """Subclass this (not BaseModel) for anything a client sends; responses stay BaseModel."""

    model_config = ConfigDict(extra="forbid")
