"""The access matrix reports how many route x role pairs it checked in the
terminal summary, so every run (SQLite or PostgreSQL) shows the figure."""

from __future__ import annotations

import pytest

MATRIX_PAIRS = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, config) -> None:
    line = config.stash.get(MATRIX_PAIRS, None)
    if line:
        terminalreporter.write_line(line)
