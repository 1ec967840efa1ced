"""Running the LMS's own Alembic migrations (plugin hosts and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from lms.config import config_value

VERSION_TABLE = "alembic_version_lms"


def alembic_config() -> Config:
    """Alembic settings pointing at the LMS migrations folder."""
    directory = Path(config_value("LMS_MIGRATIONS_DIR"))
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Bring the LMS tables to ``revision`` in the app's database."""
    command.upgrade(alembic_config(), revision)
