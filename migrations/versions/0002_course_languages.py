"""course versions say which languages they are published in

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
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


def downgrade():
    with op.batch_alter_table("lms_course_version", schema=None) as batch_op:
        batch_op.drop_column("languages")
