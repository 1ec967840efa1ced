"""live case sessions: the case on the big screen and the riders' answers

Revision ID: 0110
Revises: 0100
"""

import sqlalchemy as sa

import lms.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0110"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_live_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("course_key", sa.String(length=64), nullable=False),
        sa.Column("lesson_key", sa.String(length=64), nullable=False),
        sa.Column("lesson_version_id", sa.Integer(), nullable=True),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("revealed", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "closed", name="livestate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_version_id"],
            ["lms_lesson_version.id"],
            name=op.f("fk_lms_live_case_lesson_version_id_lms_lesson_version"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["lms_training_session.id"],
            name=op.f("fk_lms_live_case_session_id_lms_training_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_live_case")),
        sa.UniqueConstraint("session_id", name=op.f("uq_lms_live_case_session_id")),
    )
    op.create_table(
        "lms_live_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_case_id", sa.Integer(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("answered_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["live_case_id"],
            ["lms_live_case.id"],
            name=op.f("fk_lms_live_answer_live_case_id_lms_live_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_live_answer_profile_id_lms_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_live_answer")),
        sa.UniqueConstraint(
            "live_case_id", "step_no", "profile_id", name=op.f("uq_lms_live_answer_live_case_id")
        ),
    )
    with op.batch_alter_table("lms_live_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_live_answer_live_case_id"), ["live_case_id"])
        batch_op.create_index(batch_op.f("ix_lms_live_answer_profile_id"), ["profile_id"])


def downgrade():
    op.drop_table("lms_live_answer")
    op.drop_table("lms_live_case")
