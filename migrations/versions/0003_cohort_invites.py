"""learners join cohorts by accepting an invitation, and may leave

Revision ID: 0003
Revises: 0002

Existing members were added by a trainer before consent existed; they stay
members (the upgrade cannot ask them), and can leave from their cohorts page.
"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_cohort_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("expires_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("revoked_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["lms_cohort.id"],
            name=op.f("fk_lms_cohort_invite_cohort_id_lms_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_cohort_invite_created_by_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_cohort_invite")),
        sa.UniqueConstraint("code", name=op.f("uq_lms_cohort_invite_code")),
        sa.UniqueConstraint("token", name=op.f("uq_lms_cohort_invite_token")),
    )
    with op.batch_alter_table("lms_cohort_invite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_cohort_invite_cohort_id"), ["cohort_id"])
        batch_op.create_index(batch_op.f("ix_lms_cohort_invite_phone"), ["phone"])
    with op.batch_alter_table("lms_cohort_member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("left_at", lms.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("invite_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lms_cohort_member_invite_id_lms_cohort_invite"),
            "lms_cohort_invite",
            ["invite_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("lms_cohort_member", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_lms_cohort_member_invite_id_lms_cohort_invite"), type_="foreignkey"
        )
        batch_op.drop_column("invite_id")
        batch_op.drop_column("left_at")
    with op.batch_alter_table("lms_cohort_invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_cohort_invite_phone"))
        batch_op.drop_index(batch_op.f("ix_lms_cohort_invite_cohort_id"))
    op.drop_table("lms_cohort_invite")
