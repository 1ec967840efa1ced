"""sign-in codes sent by SMS, stored hashed, one row per request for the limits

Revision ID: 0060
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "0060"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_sms_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=60), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["lms_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone", "minute", name="uq_lms_sms_code_phone_minute"),
    )
    with op.batch_alter_table("lms_sms_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_sms_code_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_lms_sms_code_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lms_sms_code_created_at"), ["created_at"], unique=False
        )


def downgrade():
    op.drop_table("lms_sms_code")
