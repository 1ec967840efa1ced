"""an organisation's own certificate design: logo, seal, signatory and accent colour

Revision ID: 0070
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "0070"
down_revision = "0060"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_certificate_design",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("logo_png", sa.LargeBinary(), nullable=True),
        sa.Column("seal_png", sa.LargeBinary(), nullable=True),
        sa.Column("signatory_name", sa.String(length=80), nullable=False),
        sa.Column("signatory_title", sa.String(length=120), nullable=False),
        sa.Column("accent", sa.String(length=7), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_certificate_design_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_certificate_design")),
        sa.UniqueConstraint(
            "organisation_id", name=op.f("uq_lms_certificate_design_organisation_id")
        ),
    )


def downgrade():
    op.drop_table("lms_certificate_design")
