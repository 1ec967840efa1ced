"""revocations show a public category; the admin's note stays in the audit log

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_category", sa.String(length=32), nullable=True))
    # The free-text reasons are already in the audit log (lms_certificate_event).
    op.execute(
        "UPDATE lms_certificate SET revocation_category = 'other' WHERE status = 'revoked'"
    )
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.drop_column("revocation_reason")


def downgrade():
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_reason", sa.Text(), nullable=True))
        batch_op.drop_column("revocation_category")
