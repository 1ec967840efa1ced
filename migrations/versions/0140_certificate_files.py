"""certificate PDFs rendered by the job runner: when, how often tried, the last error

The bytes and their hash stay on the certificate (``pdf``, ``pdf_sha256``): the
row without bytes is itself the job to do, so no second row can go missing.

Revision ID: 0140
Revises: 0130
"""

import sqlalchemy as sa

import lms.db
from alembic import op

revision = "0140"
down_revision = "0130"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdf_rendered_at", lms.db.UTCDateTime(timezone=True)))
        batch_op.add_column(
            sa.Column("pdf_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("pdf_error", sa.String(length=500)))
        batch_op.add_column(sa.Column("pdf_next_attempt_at", lms.db.UTCDateTime(timezone=True)))
    # Only the certificates still waiting for their PDF: a handful among millions.
    op.create_index(
        "ix_lms_certificate_pdf_pending",
        "lms_certificate",
        ["pdf_next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("pdf_sha256 IS NULL"),
        sqlite_where=sa.text("pdf_sha256 IS NULL"),
    )


def downgrade():
    op.drop_index("ix_lms_certificate_pdf_pending", table_name="lms_certificate")
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.drop_column("pdf_next_attempt_at")
        batch_op.drop_column("pdf_error")
        batch_op.drop_column("pdf_attempts")
        batch_op.drop_column("pdf_rendered_at")
