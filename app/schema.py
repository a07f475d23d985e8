"""Imports every table module, so that SQLModel.metadata describes the whole schema."""

from sqlmodel import SQLModel

from app.accounts import models as accounts_models
from app.catalogue import models as catalogue_models

TABLE_MODULES = (catalogue_models, accounts_models)
metadata = SQLModel.metadata
