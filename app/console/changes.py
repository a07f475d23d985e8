"""An audit entry as a person reads it: the fields that changed, each as "before → after", with
the catalogue entries and producers its ids point at named, and phone numbers masked for a
reader who may not see them (as the API masks them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from app.accounts.models import AuditPublic
from app.core.masking import mask_numbers

# Fields every update touches: listing them would bury the change a reader looks for.
_NOISE: Final = frozenset({"updated_at"})
# Fields that name another record, and the kind of record (see Names).
REFERENCES: Final = {
    "commodity_id": "commodity",
    "variety_id": "variety",
    "market_id": "market",
    "unit_id": "unit",
    "producer_id": "producer",
}


@dataclass(frozen=True)
class Names:
    """Display names by kind and id, as the domains gave them to this reader."""

    by_kind: Mapping[str, Mapping[int, str]]

    def name(self, kind: str, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return self.by_kind.get(kind, {}).get(value)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None  # None: the field was not there (a record created, or deleted)
    after: str | None


@dataclass(frozen=True)
class ReadableEntry:
    entry: AuditPublic
    actor: str
    subject: str | None  # the record's own name, when it has one
    changes: list[FieldChange]


def references(entries: Iterable[AuditPublic]) -> dict[str, set[int]]:
    """The ids each kind of name must be looked up for, to read these entries."""
    wanted: dict[str, set[int]] = {kind: set() for kind in set(REFERENCES.values())}
    for entry in entries:
        if entry.entity in wanted:
            wanted[entry.entity].add(entry.entity_id)
        for snapshot in (entry.before, entry.after):
            for field, kind in REFERENCES.items():
                value = (snapshot or {}).get(field)
                if isinstance(value, int) and not isinstance(value, bool):
                    wanted[kind].add(value)
    return wanted


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def readable(
    entry: AuditPublic,
    names: Names,
    *,
    personal_data: bool,
    mask: Callable[[str], str] = mask_numbers,
) -> ReadableEntry:
    """`personal_data`: whether the reader may see the phone numbers and chat ids of this
    entry's country unmasked."""

    def shown(text: str) -> str:
        return text if personal_data else mask(text)

    def value(field: str, raw: Any) -> str:
        text = _text(raw)
        kind = REFERENCES.get(field)
        name = names.name(kind, raw) if kind else None
        return shown(f"{name} (#{text})" if name else text)

    before, after = entry.before or {}, entry.after or {}
    changes = []
    for field in [*before, *(f for f in after if f not in before)]:
        if field in _NOISE:
            continue
        if field in before and field in after and before[field] == after[field]:
            continue
        changes.append(
            FieldChange(
                field=field,
                before=value(field, before[field]) if field in before else None,
                after=value(field, after[field]) if field in after else None,
            )
        )
    subject = names.name(entry.entity, entry.entity_id)
    if subject is None:
        own = after.get("name", before.get("name"))
        subject = own if isinstance(own, str) else None
    return ReadableEntry(
        entry=entry,
        actor=shown(entry.actor),
        subject=None if subject is None else shown(subject),
        changes=changes,
    )
