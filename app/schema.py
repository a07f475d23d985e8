"""Imports every table module, so that SQLModel.metadata describes the whole schema."""

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.accounts import models as accounts_models
from app.alerts import models as alerts_models
from app.catalogue import models as catalogue_models
from app.commands import models as commands_models
from app.leads import models as leads_models
from app.notices import models as notices_models
from app.prices import models as prices_models
from app.producers import models as producers_models
from app.sources import models as sources_models

TABLE_MODULES = (
    catalogue_models,
    accounts_models,
    prices_models,
    leads_models,
    notices_models,
    producers_models,
    commands_models,
    alerts_models,
    sources_models,
)
metadata = SQLModel.metadata


def _numbered_by_the_database(table: sa.Table) -> bool:
    [*key] = table.primary_key.columns
    return (
        len(key) == 1 and isinstance(key[0].type, sa.Integer) and key[0].autoincrement is not False
    )


# The audit log refers to rows by id. Without AUTOINCREMENT, SQLite gives the id of the last
# row deleted (an erased producer) to the next row inserted, and old entries would then name a
# stranger. PostgreSQL's sequences never go back. Declared here, once, for every such table;
# migration 0008 rebuilt the tables that existed before.
for _table in metadata.tables.values():
    if _numbered_by_the_database(_table):
        _table.dialect_kwargs["sqlite_autoincrement"] = True
