"""certificate share links: a random key per link, withdrawn links kept

Revision ID: 0100
Revises: 0090
"""

import sqlalchemy as sa

import lms.db
from alembic import op

revision = "0100"
down_revision = "0090"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_certificate_share_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=43), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["lms_certificate.id"],
            name=op.f("fk_lms_certificate_share_link_certificate_id_lms_certificate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_certificate_share_link_created_by_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_certificate_share_link")),
        sa.UniqueConstraint("key", name=op.f("uq_lms_certificate_share_link_key")),
    )
    with op.batch_alter_table("lms_certificate_share_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lms_certificate_share_link_certificate_id"),
            ["certificate_id"],
            unique=False,
        )
        # At most one link in use per certificate; withdrawn ones stay for their 410.
        batch_op.create_index(
            "uq_lms_certificate_share_link_active",
            ["certificate_id"],
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("lms_certificate_share_link", schema=None) as batch_op:
        batch_op.drop_index("uq_lms_certificate_share_link_active")
        batch_op.drop_index(batch_op.f("ix_lms_certificate_share_link_certificate_id"))
    op.drop_table("lms_certificate_share_link")
