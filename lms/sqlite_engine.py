"""How the LMS uses a SQLite database: WAL, a busy timeout, foreign keys, and
write transactions that take the write lock when they begin.

SQLite's default ``BEGIN`` is deferred: a transaction that reads and then
writes asks for the write lock halfway, and when another writer holds it
SQLite fails at once with "database is locked" (waiting could deadlock), busy
timeout or not. A request that may write (POST and the like) therefore starts
with ``BEGIN IMMEDIATE``, which waits its turn for the lock up front; reads
keep the deferred ``BEGIN`` so they never queue behind writers (WAL).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

#: Milliseconds a writer waits for the lock before giving up.
BUSY_TIMEOUT_MS = 10_000
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def configure_sqlite_engine(engine: Engine) -> None:
    """Set the pragmas on each new connection and choose how transactions begin."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _begin):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _begin)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's begin event emit BEGIN instead of the driver's own
    # implicit, always-deferred one (this also makes savepoints reliable).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin(connection: Connection) -> None:
    writing = has_request_context() and request.method in WRITING_METHODS
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
