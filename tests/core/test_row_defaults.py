"""Building a row must not make pydantic inspect a function: SQLModel asks, for every row it
builds, whether each default factory takes arguments, and inspecting `list` costs about as
much as the rest of the row (see app/core/clock.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

import app.schema  # noqa: F401 - every table class, registered
from app.commands.models import InboundMessage


def _table_models() -> list[type[SQLModel]]:
    found: list[type[SQLModel]] = []
    pending: list[Any] = [SQLModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if getattr(sub, "__table__", None) is not None:
                found.append(sub)
    return found


def test_every_default_factory_of_a_table_carries_its_signature() -> None:
    models = _table_models()
    assert len(models) > 15, "the scan found suspiciously few tables"
    slow = [
        f"{model.__name__}.{name}: {field.default_factory!r}"
        for model in models
        for name, field in model.model_fields.items()
        if field.default_factory is not None
        and getattr(field.default_factory, "__signature__", None) is None
    ]
    assert slow == [], "use default=[] / default={} or a factory with a __signature__"


def test_rows_get_their_own_empty_lists() -> None:
    first, second = (
        InboundMessage(urn="tel:+1", channel="sms", text="a"),
        InboundMessage(urn="tel:+2", channel="sms", text="b"),
    )
    first.replies.append("hello")
    assert second.replies == []
    assert first.received_at.tzinfo is not None
