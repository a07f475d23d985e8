"""An audit entry as a person reads it: the fields that changed, each as "before → after", with
the catalogue entries and producers its ids point at named, and phone numbers masked for a
reader who may not see them (as the API masks them). The audit page and a price's history
read entries through `read_entries`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.models import AuditPublic
from app.accounts.service import Staff
from app.catalogue.service import load_index
from app.core.masking import mask_numbers
from app.producers.listing import names_of

# Fields every update touches: listing them would bury the change a reader looks for.
_NOISE: Final = frozenset({"updated_at"})
# Amounts, stored with the places of their column (12000.0000): shown as people write them.
_AMOUNTS: Final = frozenset({"price", "price_min", "price_max", "upstream_price", "quantity"})
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


def _amount(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return _text(value)
    return f"{amount.normalize():f}" if amount.is_finite() else _text(value)


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
        text = _amount(raw) if field in _AMOUNTS else _text(raw)
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


async def read_entries(
    session: AsyncSession, entries: list[AuditPublic], *, staff: Staff
) -> list[ReadableEntry]:
    """The entries as `staff` reads them: the catalogue entries and producers they point at
    named (producers only of the reader's countries), personal data as the reader may see it."""
    wanted = references(entries)
    index = await load_index(session)
    catalogue = {
        "commodity": {
            i: c.name for i, c in index.commodity_by_id.items() if i in wanted["commodity"]
        },
        "variety": {i: v.name for i, v in index.variety_by_id.items() if i in wanted["variety"]},
        "market": {i: m.name for i, m in index.market_by_id.items() if i in wanted["market"]},
        "unit": {i: u.code for i, u in index.unit_by_id.items() if i in wanted["unit"]},
    }
    producers = await names_of(session, wanted["producer"], staff=staff)
    names = Names({**catalogue, "producer": producers})
    return [
        readable(
            e,
            names,
            personal_data=staff.sees_personal_data(e.country)
            if e.country
            else staff.countries is None,
        )
        for e in entries
    ]
