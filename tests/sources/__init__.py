"""Tests of sources, their runs and the review of unmapped names."""
