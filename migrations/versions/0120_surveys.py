"""needs surveys, and training attended in person (credited from check-ins)

Revision ID: 0120
Revises: 0110
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lms.db

revision = "0120"
down_revision = "0110"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_attended_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("course_key", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("attended_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_attended_training_profile_id_lms_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_attended_training")),
        sa.UniqueConstraint(
            "profile_id", "source_key", name=op.f("uq_lms_attended_training_profile_id")
        ),
    )
    with op.batch_alter_table("lms_attended_training", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_attended_training_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "lms_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title_zh", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=120), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="surveystatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("template_key", sa.String(length=40), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_survey_author_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_survey_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["lms_station.id"],
            name=op.f("fk_lms_survey_station_id_lms_station"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_survey")),
    )
    with op.batch_alter_table("lms_survey", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_survey_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lms_survey_station_id"), ["station_id"], unique=False)

    op.create_table(
        "lms_survey_answered",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("rider_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["lms_survey.id"],
            name=op.f("fk_lms_survey_answered_survey_id_lms_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "rider_hash", name=op.f("pk_lms_survey_answered")),
    )
    op.create_table(
        "lms_survey_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "single",
                "multiple",
                "rating",
                "text",
                name="questionkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("text_zh", sa.String(length=300), nullable=False),
        sa.Column("text_en", sa.String(length=300), nullable=False),
        sa.Column("need_group", sa.String(length=16), nullable=True),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["lms_survey.id"],
            name=op.f("fk_lms_survey_question_survey_id_lms_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_survey_question")),
        sa.UniqueConstraint("survey_id", "position", name=op.f("uq_lms_survey_question_survey_id")),
    )
    with op.batch_alter_table("lms_survey_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_survey_question_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "lms_survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_survey_response_profile_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["lms_station.id"],
            name=op.f("fk_lms_survey_response_station_id_lms_station"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["lms_survey.id"],
            name=op.f("fk_lms_survey_response_survey_id_lms_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_survey_response")),
    )
    with op.batch_alter_table("lms_survey_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_survey_response_profile_id"), ["profile_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lms_survey_response_station_id"), ["station_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lms_survey_response_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "lms_survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.String(length=16), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["lms_survey_question.id"],
            name=op.f("fk_lms_survey_answer_question_id_lms_survey_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["lms_survey_response.id"],
            name=op.f("fk_lms_survey_answer_response_id_lms_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_survey_answer")),
    )
    with op.batch_alter_table("lms_survey_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_survey_answer_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lms_survey_answer_response_id"), ["response_id"], unique=False
        )

    _credit_existing_check_ins()


def _credit_existing_check_ins():
    """Check-ins recorded before this revision earn their time too, by the same
    rule as new ones (lms.courses.attended.credited_seconds)."""
    stamp = lms.db.UTCDateTime(timezone=True)
    attendance = sa.table(
        "lms_session_attendance",
        sa.column("profile_id", sa.Integer()),
        sa.column("session_id", sa.Integer()),
        sa.column("method", sa.String()),
        sa.column("created_at", stamp),
    )
    training = sa.table(
        "lms_training_session",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("course_key", sa.String()),
        sa.column("starts_at", stamp),
        sa.column("ends_at", stamp),
    )
    credit = sa.table(
        "lms_attended_training",
        sa.column("profile_id", sa.Integer()),
        sa.column("source_key", sa.String()),
        sa.column("course_key", sa.String()),
        sa.column("title", sa.String()),
        sa.column("seconds", sa.Integer()),
        sa.column("attended_at", stamp),
    )
    rows = (
        op.get_bind()
        .execute(
            sa.select(
                attendance.c.profile_id,
                attendance.c.session_id,
                attendance.c.method,
                attendance.c.created_at,
                training.c.title,
                training.c.course_key,
                training.c.starts_at,
                training.c.ends_at,
            ).join(training, training.c.id == attendance.c.session_id)
        )
        .fetchall()
    )
    for row in rows:
        start = row.starts_at if row.method == "by_hand" else max(row.starts_at, row.created_at)
        op.execute(
            credit.insert().values(
                profile_id=row.profile_id,
                source_key=f"session:{row.session_id}",
                course_key=row.course_key,
                title=row.title[:120],
                seconds=max(0, int((row.ends_at - start).total_seconds())),
                attended_at=row.created_at,
            )
        )


def downgrade():
    with op.batch_alter_table("lms_survey_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_survey_answer_response_id"))
        batch_op.drop_index(batch_op.f("ix_lms_survey_answer_question_id"))

    op.drop_table("lms_survey_answer")
    with op.batch_alter_table("lms_survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_survey_response_survey_id"))
        batch_op.drop_index(batch_op.f("ix_lms_survey_response_station_id"))
        batch_op.drop_index(batch_op.f("ix_lms_survey_response_profile_id"))

    op.drop_table("lms_survey_response")
    with op.batch_alter_table("lms_survey_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_survey_question_survey_id"))

    op.drop_table("lms_survey_question")
    op.drop_table("lms_survey_answered")
    with op.batch_alter_table("lms_survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_survey_station_id"))
        batch_op.drop_index(batch_op.f("ix_lms_survey_organisation_id"))

    op.drop_table("lms_survey")
    with op.batch_alter_table("lms_attended_training", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_attended_training_profile_id"))

    op.drop_table("lms_attended_training")
