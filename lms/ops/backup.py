"""Online backups of the SQLite database (PostgreSQL uses pg_dump)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine


class BackupNotSupported(Exception):
    """The database is not SQLite."""


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy a live SQLite database page by page with SQLite's backup API; returns bytes."""
    if engine.dialect.name != "sqlite":
        raise BackupNotSupported(
            "flask lms backup copies SQLite databases; for PostgreSQL use pg_dump (see README)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = engine.raw_connection()
    try:
        source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        destination = sqlite3.connect(str(target))
        try:
            # The backup API copies a consistent snapshot while writers carry on.
            source.backup(destination, pages=256)
        finally:
            destination.close()
    finally:
        raw.close()
    return target.stat().st_size
