"""Prices: observations and their curation, exchange rates, latest prices and series."""
