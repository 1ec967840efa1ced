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


def run_migrations_online() -> None:
    engine = current_app.extensions["lms"].db.engine
    with engine.connect() as connection:
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
