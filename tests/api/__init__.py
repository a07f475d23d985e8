"""Tests of the HTTP edge shared by every route: errors, limits, input checks, fuzzing."""
