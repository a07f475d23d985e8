"""The catalogue: countries, markets, commodities, varieties, units and their aliases."""
