"""Who acted: the staff user, producer, address, source, command line or scheduled job that the
audit trail names for a change.

An Actor says nothing about what it may do. Permission comes from a staff token (`Staff`: its
role and countries) and is checked by the services a token reaches; paths that act for a producer
themselves, an upstream source or a scheduled job take an Actor and check no scope, because no
token stands behind them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ActorKind(enum.StrEnum):
    STAFF = "staff"  # a staff user, by the name their token was issued to
    PRODUCER = "producer"  # a registered producer acting for themselves (SMS, Telegram)
    ADDRESS = "address"  # someone known only by the URN they wrote from (a sign-up)
    SOURCE = "source"  # an upstream feed, by its slug
    CLI = "cli"  # whoever ran a `mic` command, by operating-system user
    SYSTEM = "system"  # a scheduled job, by its name


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    ref: str

    @classmethod
    def staff(cls, name: str) -> Actor:
        return cls(ActorKind.STAFF, name)

    @classmethod
    def producer(cls, producer_id: int) -> Actor:
        return cls(ActorKind.PRODUCER, str(producer_id))

    @classmethod
    def address(cls, urn: str) -> Actor:
        return cls(ActorKind.ADDRESS, urn)

    @classmethod
    def source(cls, slug: str) -> Actor:
        return cls(ActorKind.SOURCE, slug)

    @classmethod
    def cli(cls, user: str | None) -> Actor:
        return cls(ActorKind.CLI, user or "")

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorKind.SYSTEM, job)

    @property
    def name(self) -> str:
        """The audit's `actor` column, in the forms entries have always had: a staff user's
        name, `producer:<id>`, the URN itself, `source:<slug>`, `cli:<user>` (`cli` when the
        user is unknown), a job's name. Erasure finds a person's numbers in these forms."""
        if self.kind in (ActorKind.STAFF, ActorKind.ADDRESS, ActorKind.SYSTEM):
            return self.ref
        if self.kind is ActorKind.CLI and not self.ref:
            return "cli"
        return f"{self.kind.value}:{self.ref}"[:120]
