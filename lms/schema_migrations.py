"""Running the LMS's own Alembic migrations, and keeping a host's away from them.

The LMS's migrations have their own version table and touch only ``lms_*``
tables. A host that runs Flask-Migrate or Alembic on the same database passes
:func:`include_object` to ``context.configure`` in its ``env.py``, so its
``flask db migrate`` never writes operations on the LMS's tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from lms.config import config_value
from lms.db import TABLE_PREFIX

VERSION_TABLE = "alembic_version_lms"


def is_lms_object(obj: Any, name: str | None, type_: str) -> bool:
    """Whether a schema object compared by Alembic belongs to the LMS."""
    if type_ == "table":
        return bool(name) and (name.startswith(TABLE_PREFIX) or name == VERSION_TABLE)
    table = getattr(obj, "table", None)
    if table is not None:
        return table.name.startswith(TABLE_PREFIX) or table.name == VERSION_TABLE
    return False


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter for a host's ``env.py``: everything except the LMS's tables."""
    if type_ == "table" or getattr(obj, "table", None) is not None:
        return not is_lms_object(obj, name, type_)
    return True


def include_lms_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter of the LMS's own ``env.py``: only the LMS's tables."""
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX)
    table = getattr(obj, "table", None)
    if table is not None:
        return table.name.startswith(TABLE_PREFIX)
    return True


def alembic_config() -> Config:
    """Alembic settings pointing at the LMS migrations folder."""
    directory = Path(config_value("LMS_MIGRATIONS_DIR"))
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Bring the LMS tables to ``revision`` in the app's database."""
    command.upgrade(alembic_config(), revision)
