"""the xAPI outbox: statements waiting for delivery to the Learning Record Store

Revision ID: 0080
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lms.db import UTCDateTime

revision = "0080"
down_revision = "0070"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_xapi_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column(
            "statement",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_xapi_outbox")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_lms_xapi_outbox_statement_id")),
    )
    with op.batch_alter_table("lms_xapi_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_xapi_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lms_xapi_outbox_delivered_at"), ["delivered_at"], unique=False
        )


def downgrade():
    op.drop_table("lms_xapi_outbox")
