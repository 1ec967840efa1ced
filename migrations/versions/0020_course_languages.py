"""course versions say which languages they are published in; a published
draft's id is kept so its old address can redirect to the course

Revision ID: 0020
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # NULL means every language of the deployment, as before this column existed.
    with op.batch_alter_table("lms_course_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "languages",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    with op.batch_alter_table("lms_studio_version_source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_lms_studio_version_source_draft_id"), ["draft_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("lms_studio_version_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_studio_version_source_draft_id"))
        batch_op.drop_column("draft_id")
    with op.batch_alter_table("lms_course_version", schema=None) as batch_op:
        batch_op.drop_column("languages")
