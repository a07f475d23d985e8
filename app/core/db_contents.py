"""What a database, or a backup of one, holds: its tables, their rows and its schema revision;
and the rule that a restore replaces a database holding anything only when told to."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.core.db import DatabaseUrl
from app.core.errors import Conflict

REVISION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Contents:
    """What a backup or a restored database holds: its schema revision and, where they were
    counted, the rows of each table (a pg_dump archive names its tables but counts nothing)."""

    revision: str | None
    tables: list[str]
    rows: dict[str, int] | None = None

    def summary(self) -> str:
        revision = f"revision {self.revision}" if self.revision else "no schema revision"
        if self.rows is None:
            return f"{revision}, {len(self.tables)} tables"
        total = sum(self.rows.values())
        return f"{revision}, {len(self.tables)} tables, {total} rows"

    @property
    def busiest(self) -> list[tuple[str, int]]:
        """The tables that hold rows, the largest first."""
        return sorted(
            ((t, n) for t, n in (self.rows or {}).items() if n), key=lambda tn: (-tn[1], tn[0])
        )


def count_rows(engine: sa.Engine) -> Contents:
    """Every table of a database with its rows, and its schema revision."""
    with engine.connect() as connection:
        tables = sorted(sa.inspect(connection).get_table_names())
        rows = {
            table: int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(sa.table(table))
                ).scalar_one()
            )
            for table in tables
        }
        revision = None
        if rows.get(REVISION_TABLE):
            revision = connection.execute(
                sa.select(sa.column("version_num")).select_from(sa.table(REVISION_TABLE))
            ).scalar()
    return Contents(revision=revision, tables=tables, rows=rows)


def refuse_to_overwrite(url: DatabaseUrl, contents: Contents, *, force: bool) -> None:
    """A database that holds anything is replaced only when the caller insisted."""
    if force:
        return
    busiest = contents.busiest
    if not busiest and contents.revision is None:
        return
    held = ", ".join(f"{table} {rows}" for table, rows in busiest[:5])
    more = f" and {len(busiest) - 5} more tables" if len(busiest) > 5 else ""
    revision = f"revision {contents.revision}" if contents.revision else "no revision"
    raise Conflict(
        f"the database {url.display()} is not empty ({revision}; rows: {held or 'none'}{more}); "
        "restoring replaces everything in it: add --force to do so"
    )
