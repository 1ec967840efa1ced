"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.db import Base
from lms.schema_migrations import VERSION_TABLE, upgrade_database
from lms.state import get_session
from tests.conftest import POSTGRES_URL, make_app


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it, on the backend the suite runs on."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"lms_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_models_and_migrations_agree(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade_database()
        engine = app.extensions["lms"].db.engine
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "version_table": VERSION_TABLE,
                    "include_object": _lms_only,
                },
            )
            diff = compare_metadata(context, Base.metadata)
            version = connection.execute(
                sa.text(f"SELECT version_num FROM {VERSION_TABLE}")
            ).scalar()
        get_session().remove()
        engine.dispose()
    assert version, "the LMS version table was not written"
    assert diff == [], f"models differ from migrations; run flask db migrate: {diff}"


def _lms_only(obj, name, type_, reflected, compare_to):
    if type_ == "table":
        return name.startswith("lms_")
    return True


def test_every_table_is_prefixed():
    assert all(table.name.startswith("lms_") for table in Base.metadata.sorted_tables)
