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


def _insert(connection, table, **values):
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_upgrading_gives_every_existing_row_an_owner(empty_database_url):
    from datetime import UTC, date, datetime

    app = make_app(empty_database_url, LMS_PUBLISHING_ORGANISATION="某区培训中心")
    now = datetime.now(UTC)
    with app.app_context():
        upgrade_database("0001")
        engine = app.extensions["lms"].db.engine
        tables = sa.MetaData()
        tables.reflect(engine)
        t = tables.tables
        with engine.begin() as connection:
            station = _insert(
                connection, t["lms_organisation"], name="某站", kind="platform", created_at=now
            )
            trainer = _insert(
                connection,
                t["lms_profile"],
                user_ref="1",
                display_name="李培训",
                role="trainer",
                organisation_id=station,
                created_at=now,
            )
            learner = _insert(
                connection,
                t["lms_profile"],
                user_ref="2",
                display_name="王小骑",
                role="learner",
                created_at=now,
            )
            courses = {}
            for key, owner in (("shipped", None), ("own", station)):
                courses[key] = _insert(
                    connection,
                    t["lms_course"],
                    key=key,
                    area="logistics",
                    status="published",
                    organisation_id=owner,
                    created_at=now,
                )
                _insert(
                    connection,
                    t["lms_course_version"],
                    course_id=courses[key],
                    number=1,
                    content_hash="h",
                    title={},
                    summary={},
                    occupations=[],
                    level=1,
                    quiz_key="q",
                    quiz_title={},
                    quiz_policy={},
                    source="",
                    published_at=now,
                )
            certificate = _insert(
                connection,
                t["lms_certificate"],
                number="LMS1",
                profile_id=learner,
                kind="training",
                achievement_key="course:shipped",
                holder_name="王小骑",
                track_title={},
                title={},
                hours=1.0,
                evidence={},
                issued_on=date(2026, 1, 1),
                issuer_name="x",
                key_id="k",
                token="t",
                status="valid",
                created_at=now,
            )
            _insert(
                connection,
                t["lms_certificate_event"],
                certificate_id=certificate,
                action="issued",
                detail={},
                created_at=now,
            )
            for trainer_id in (trainer, None):
                _insert(
                    connection,
                    t["lms_sign_off"],
                    profile_id=learner,
                    track_key="rider",
                    level=1,
                    requirement_key=f"r{trainer_id}",
                    trainer_id=trainer_id,
                    trainer_name="李培训",
                    result="pass",
                    note="",
                    created_at=now,
                )

        upgrade_database()

        with engine.connect() as connection:
            publisher = connection.execute(
                sa.text("SELECT id FROM lms_organisation WHERE name = '某区培训中心'")
            ).scalar_one()
            course_rows = dict(
                connection.execute(sa.text("SELECT key, organisation_id FROM lms_course")).all()
            )
            shipped = dict(connection.execute(sa.text("SELECT key, shipped FROM lms_course")).all())
            version_owners = sorted(
                connection.execute(
                    sa.text("SELECT organisation_id FROM lms_course_version")
                ).scalars()
            )
            certificate_owner = connection.execute(
                sa.text("SELECT organisation_id FROM lms_certificate")
            ).scalar_one()
            event_owner = connection.execute(
                sa.text("SELECT organisation_id FROM lms_certificate_event")
            ).scalar_one()
            signoff_owners = dict(
                connection.execute(
                    sa.text("SELECT requirement_key, organisation_id FROM lms_sign_off")
                ).all()
            )
        get_session().remove()
        engine.dispose()
    assert course_rows == {"shipped": publisher, "own": station}
    assert {key: bool(value) for key, value in shipped.items()} == {"shipped": True, "own": False}
    assert version_owners == sorted([publisher, station])
    assert certificate_owner == publisher
    assert event_owner == publisher
    assert signoff_owners == {f"r{trainer}": station, "rNone": publisher}


def test_upgrading_credits_check_ins_recorded_before_as_training_time(empty_database_url):
    from datetime import UTC, datetime, timedelta

    app = make_app(empty_database_url)
    starts = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    with app.app_context():
        upgrade_database("0090")
        engine = app.extensions["lms"].db.engine
        tables = sa.MetaData()
        tables.reflect(engine)
        t = tables.tables
        with engine.begin() as connection:
            organisation = _insert(
                connection, t["lms_organisation"], name="某站", kind="platform", created_at=starts
            )
            riders = [
                _insert(
                    connection,
                    t["lms_profile"],
                    user_ref=str(number),
                    display_name="骑手",
                    role="learner",
                    created_at=starts,
                )
                for number in (1, 2)
            ]
            training = _insert(
                connection,
                t["lms_training_session"],
                organisation_id=organisation,
                title="夜间安全",
                place="人民路",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                capacity=5,
                course_key="legal-safety",
                languages=["zh_CN"],
                created_at=starts,
            )
            for rider, method, late in ((riders[0], "qr", 30), (riders[1], "by_hand", 150)):
                _insert(
                    connection,
                    t["lms_session_attendance"],
                    session_id=training,
                    profile_id=rider,
                    method=method,
                    reason="",
                    created_at=starts + timedelta(minutes=late),
                )
        upgrade_database()
        with engine.connect() as connection:
            credited = dict(
                connection.execute(
                    sa.text(
                        "SELECT profile_id, seconds FROM lms_attended_training "
                        "WHERE source_key = :key AND course_key = 'legal-safety'"
                    ),
                    {"key": f"session:{training}"},
                ).all()
            )
        get_session().remove()
        engine.dispose()
    # The late scan earns the 90 minutes left; the trainer's hand vouches for all 120.
    assert credited == {riders[0]: 5400, riders[1]: 7200}
