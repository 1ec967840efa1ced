"""The shop's Alembic environment (Flask-Migrate). The one line the LMS asks
for is ``include_object``: the shop's autogenerate then never sees the LMS's
``lms_*`` tables nor its version table, so it never writes a migration that
drops them."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from lms.schema_migrations import include_object

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")
db = current_app.extensions["migrate"].db


def _options() -> dict:
    return {
        "target_metadata": db.metadata,
        "include_object": include_object,
        "compare_type": True,
    }


def run_migrations_offline() -> None:
    context.configure(url=db.engine.url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(_context, _revision, directives) -> None:
        # `flask db migrate` with nothing to do writes no empty revision file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with db.engine.connect() as connection:
        context.configure(
            connection=connection, process_revision_directives=skip_empty, **_options()
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
