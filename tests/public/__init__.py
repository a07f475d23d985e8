"""Tests of what anyone reads without signing in: open data, feeds, rate limits, privacy."""
