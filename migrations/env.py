"""Alembic environment of the LMS: its own version table, and only ``lms_`` tables.

A host app's tables share the database but are never created, altered or
dropped by these migrations.
"""

from __future__ import annotations

from alembic import context
from flask import current_app

import lms.models  # noqa: F401  (registers every table on the metadata)
from lms.db import TABLE_PREFIX, Base
from lms.migrations import VERSION_TABLE

config = context.config


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001, ANN201
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX)
    table = getattr(obj, "table", None)
    if table is not None:
        return table.name.startswith(TABLE_PREFIX)
    return True


def _options() -> dict:
    return {
        "target_metadata": Base.metadata,
        "version_table": VERSION_TABLE,
        "include_object": include_object,
        "compare_type": True,
        "render_as_batch": True,
    }


def run_migrations_offline() -> None:
    context.configure(
        url=current_app.extensions["lms"].db.engine.url, literal_binds=True, **_options()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = current_app.extensions["lms"].db.engine
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a SQLite table by dropping it: with foreign
            # keys on, that would cascade-delete every row pointing at it. The
            # pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
