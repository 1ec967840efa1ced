"""every course, version, sign-off, certificate and audit entry has an owner

Revision ID: 0002
Revises: 0001

Rows that name no organisation go to the deployment's publishing organisation
(``LMS_PUBLISHING_ORGANISATION``, created here when missing): courses without
one were imported from files, and certificates and sign-offs without one were
issued for that shipped content. A sign-off first falls back to its trainer's
organisation, a version and an audit entry take their course's and
certificate's.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DEFAULT_PUBLISHER = "LMS 培训中心"


def _publisher_name() -> str:
    try:
        from lms.config import config_value

        return str(config_value("LMS_PUBLISHING_ORGANISATION") or DEFAULT_PUBLISHER)
    except RuntimeError:  # outside an app (offline SQL): the shipped default
        return DEFAULT_PUBLISHER


def _publisher_id(bind: sa.engine.Connection) -> int:
    organisation = sa.table(
        "lms_organisation",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("created_at", lms.db.UTCDateTime(timezone=True)),
    )
    name = _publisher_name()
    found = bind.execute(sa.select(organisation.c.id).where(organisation.c.name == name)).scalar()
    if found is None:
        bind.execute(
            organisation.insert().values(
                name=name, kind="training-provider", created_at=datetime.now(UTC)
            )
        )
        found = bind.execute(
            sa.select(organisation.c.id).where(organisation.c.name == name)
        ).scalar_one()
    return int(found)


def _fk(table: str) -> str:
    return f"fk_{table}_organisation_id_lms_organisation"


def upgrade():
    bind = op.get_bind()
    publisher = _publisher_id(bind)

    with op.batch_alter_table("lms_course_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("lms_course", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipped", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("lms_certificate_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))

    op.execute(
        sa.text(
            "UPDATE lms_course SET shipped = :yes, organisation_id = :publisher "
            "WHERE organisation_id IS NULL"
        ).bindparams(yes=True, publisher=publisher)
    )
    op.execute(
        "UPDATE lms_course_version SET organisation_id = (SELECT lms_course.organisation_id "
        "FROM lms_course WHERE lms_course.id = lms_course_version.course_id)"
    )
    op.execute(
        sa.text(
            "UPDATE lms_certificate SET organisation_id = :publisher WHERE organisation_id IS NULL"
        ).bindparams(publisher=publisher)
    )
    op.execute(
        "UPDATE lms_certificate_event SET organisation_id = (SELECT "
        "lms_certificate.organisation_id FROM lms_certificate "
        "WHERE lms_certificate.id = lms_certificate_event.certificate_id)"
    )
    op.execute(
        "UPDATE lms_sign_off SET organisation_id = (SELECT lms_profile.organisation_id "
        "FROM lms_profile WHERE lms_profile.id = lms_sign_off.trainer_id) "
        "WHERE organisation_id IS NULL"
    )
    op.execute(
        sa.text(
            "UPDATE lms_sign_off SET organisation_id = :publisher WHERE organisation_id IS NULL"
        ).bindparams(publisher=publisher)
    )

    for table in ("lms_course", "lms_certificate", "lms_sign_off"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(_fk(table)), type_="foreignkey")
            batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                batch_op.f(_fk(table)),
                "lms_organisation",
                ["organisation_id"],
                ["id"],
                ondelete="RESTRICT",
            )
    with op.batch_alter_table("lms_sign_off", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_sign_off_organisation_id"), ["organisation_id"], unique=False
        )
    for table in ("lms_course_version", "lms_certificate_event"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(
                batch_op.f(f"ix_{table}_organisation_id"), ["organisation_id"], unique=False
            )
            batch_op.create_foreign_key(
                batch_op.f(_fk(table)),
                "lms_organisation",
                ["organisation_id"],
                ["id"],
                ondelete="RESTRICT",
            )


def downgrade():
    for table in ("lms_course_version", "lms_certificate_event"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(_fk(table)), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_organisation_id"))
            batch_op.drop_column("organisation_id")
    with op.batch_alter_table("lms_sign_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_sign_off_organisation_id"))
    for table in ("lms_course", "lms_certificate", "lms_sign_off"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(_fk(table)), type_="foreignkey")
            batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=True)
            batch_op.create_foreign_key(
                batch_op.f(_fk(table)),
                "lms_organisation",
                ["organisation_id"],
                ["id"],
                ondelete="SET NULL",
            )
    op.execute("UPDATE lms_course SET organisation_id = NULL WHERE shipped")
    with op.batch_alter_table("lms_course", schema=None) as batch_op:
        batch_op.drop_column("shipped")
