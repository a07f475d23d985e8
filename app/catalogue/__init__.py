"""The catalogue: countries, markets, commodities, varieties, units and their aliases."""

# Importing the package registers the hook that counts catalogue changes, so that no way of
# writing to the catalogue can skip it.
from app.catalogue import version as version
