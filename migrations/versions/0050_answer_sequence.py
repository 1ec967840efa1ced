"""autosave keeps the highest per-question sequence number, so a late save cannot win

Revision ID: 0050
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lms_attempt_question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_seq", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("lms_attempt_question", schema=None) as batch_op:
        batch_op.drop_column("answer_seq")
