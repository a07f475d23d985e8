"""A person taken out of stored text: the names they had and the numbers they were reached at
(phones, Telegram chat ids, and the URNs holding them), replaced by "(erased)" wherever a
domain keeps text or JSON that quoted them (the audit log, a lead's broadcast, a gateway's
failure reason)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

ERASED = "(erased)"
# A bare number shorter than this is too short to be anyone's alone (a test's chat id, a
# count): it is taken out only in its URN form, never out of every number that contains it.
MIN_BARE_DIGITS = 7


@dataclass(frozen=True)
class Traces:
    names: frozenset[str]
    numbers: tuple[str, ...]  # longest first: "tel:+959…" is replaced before "+959…" inside it

    @classmethod
    def of(cls, *, names: Collection[str], urns: Collection[str]) -> Traces:
        """From each URN (`tel:+959…`, `telegram:123…`) the URN itself and its bare number."""
        bare = [urn.split(":", 1)[1] for urn in urns if ":" in urn]
        numbers = {*urns, *(b for b in bare if len(b.lstrip("+-")) >= MIN_BARE_DIGITS)}
        return cls(
            names=frozenset(n for n in names if n),
            numbers=tuple(sorted((n for n in numbers if n), key=len, reverse=True)),
        )

    def scrub(self, value: Any, *, inside: bool) -> Any:
        """`value` (text, or JSON of lists and objects) without the numbers, anywhere in it,
        nor the names: as a whole value, and with `inside` also within longer text. Inside only
        where the text is about this person: "Aung" must not be cut out of "Aung Aung"."""
        if isinstance(value, dict):
            return {k: self.scrub(v, inside=inside) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v, inside=inside) for v in value]
        if not isinstance(value, str):
            return value
        if value in self.names:
            return ERASED
        for number in self.numbers:
            value = value.replace(number, ERASED)
        if inside:
            for name in sorted(self.names, key=len, reverse=True):
                value = value.replace(name, ERASED)
        return value

    def scrub_numbers_sql(
        self, column: sa.ColumnExpressionArgument[str | None]
    ) -> sa.ColumnExpressionArgument[str | None]:
        """The numbers taken out of a text column within an UPDATE, row by row in the database."""
        scrubbed = column
        for number in self.numbers:
            scrubbed = sa.func.replace(scrubbed, number, ERASED)
        return scrubbed
