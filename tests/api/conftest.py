"""Prints the fuzz run's summary line after the test session, where CI logs keep it."""

from __future__ import annotations

import pytest

FUZZ_SUMMARIES = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(FUZZ_SUMMARIES, []):
        terminalreporter.write_line(line)
