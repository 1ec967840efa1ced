"""Alembic environment of the LMS: its own version table, and only ``lms_`` tables.

A host app's tables share the database but are never created, altered or
dropped by these migrations.
"""

from __future__ import annotations

from alembic import context
from flask import current_app

import lms.models  # noqa: F401  (registers every table on the metadata)
from lms.db import Base
from lms.schema_migrations import VERSION_TABLE, include_lms_object

config = context.config


def _options() -> dict:
    return {
        "target_metadata": Base.metadata,
        "version_table": VERSION_TABLE,
        "include_object": include_lms_object,
        "compare_type": True,
        "render_as_batch": True,
    }


def run_migrations_offline() -> None:
    context.configure(
        url=current_app.extensions["lms"].db.engine.url, literal_binds=True, **_options()
    )
    with context.begin_transaction():
        context.run_migrations()


def _driver_execute(connection, statement: str) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def run_migrations_online() -> None:
    engine = current_app.extensions["lms"].db.engine
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a SQLite table by dropping it: with foreign
            # keys on, that would cascade-delete every row pointing at it. The
            # pragma only takes effect outside a transaction, so it goes to the
            # driver's connection before SQLAlchemy begins one.
            _driver_execute(connection, "PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.commit()
            _driver_execute(connection, "PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
