"""Imports every table module, so that SQLModel.metadata describes the whole schema."""

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
