"""stations, training sessions and their bookings with a waiting list

Revision ID: 0090
Revises: 0050
"""

import sqlalchemy as sa

import lms.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0090"
down_revision = "0080"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("opening_hours", sa.String(length=80), nullable=False),
        sa.Column(
            "facilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_station_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_station")),
    )
    with op.batch_alter_table("lms_station", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_station_district"), ["district"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lms_station_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "lms_training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("course_key", sa.String(length=64), nullable=True),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_training_session_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["lms_station.id"],
            name=op.f("fk_lms_training_session_station_id_lms_station"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_training_session_trainer_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_training_session")),
    )
    with op.batch_alter_table("lms_training_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_training_session_organisation_id"), ["organisation_id"]
        )
        batch_op.create_index(batch_op.f("ix_lms_training_session_starts_at"), ["starts_at"])
        batch_op.create_index(batch_op.f("ix_lms_training_session_station_id"), ["station_id"])
    op.create_table(
        "lms_session_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked", "waiting", "cancelled", name="bookingstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("queued_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_session_booking_profile_id_lms_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["lms_training_session.id"],
            name=op.f("fk_lms_session_booking_session_id_lms_training_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_session_booking")),
        sa.UniqueConstraint(
            "session_id", "profile_id", name=op.f("uq_lms_session_booking_session_id")
        ),
    )
    with op.batch_alter_table("lms_session_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_session_booking_profile_id"), ["profile_id"])
        batch_op.create_index(batch_op.f("ix_lms_session_booking_session_id"), ["session_id"])

    op.create_table(
        "lms_session_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum("qr", "by_hand", name="checkinmethod", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_session_attendance_profile_id_lms_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_session_attendance_recorded_by_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["lms_training_session.id"],
            name=op.f("fk_lms_session_attendance_session_id_lms_training_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_session_attendance")),
        sa.UniqueConstraint(
            "session_id", "profile_id", name=op.f("uq_lms_session_attendance_session_id")
        ),
    )
    with op.batch_alter_table("lms_session_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_session_attendance_profile_id"), ["profile_id"])
        batch_op.create_index(batch_op.f("ix_lms_session_attendance_session_id"), ["session_id"])


def downgrade():
    op.drop_table("lms_session_attendance")
    op.drop_table("lms_session_booking")
    op.drop_table("lms_training_session")
    with op.batch_alter_table("lms_station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_station_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_lms_station_district"))
    op.drop_table("lms_station")
