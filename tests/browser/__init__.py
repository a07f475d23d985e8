"""Tests in a real browser (Chromium) against a running MIC."""
