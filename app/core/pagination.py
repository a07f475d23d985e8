"""Keyset pagination: stable under concurrent inserts, cheap at any depth."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    # Pass as ?cursor= to get the next page; null on the last page.
    next_cursor: int | None = None
