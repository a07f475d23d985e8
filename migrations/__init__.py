"""Alembic migrations of the MIC schema (run through `mic db upgrade`)."""
