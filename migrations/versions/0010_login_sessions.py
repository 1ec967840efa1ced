"""login sessions that end on logout, password change or sign-out everywhere

Revision ID: 0010
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "0010"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["lms_user.id"],
            name=op.f("fk_lms_login_session_user_id_lms_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_lms_login_session_token_hash")),
    )
    with op.batch_alter_table("lms_login_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_login_session_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("lms_login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_login_session_user_id"))
    op.drop_table("lms_login_session")
