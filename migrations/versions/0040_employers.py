"""employers: hiring codes, certificates shared with consent and their audit log,
dashboard visits, bulk checks with a daily budget, API keys

Revision ID: 0040_employers
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lms.db

revision = "0040"
# The coordinator re-chains this onto the merged head.
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_bulk_check_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_bulk_check_usage_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_bulk_check_usage")),
        sa.UniqueConstraint(
            "organisation_id", "day", name=op.f("uq_lms_bulk_check_usage_organisation_id")
        ),
    )
    op.create_index(
        op.f("ix_lms_bulk_check_usage_organisation_id"),
        "lms_bulk_check_usage",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "lms_api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("verify", name="apiscope", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_api_key_created_by_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_api_key_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_lms_api_key_key_hash")),
    )
    op.create_index(
        op.f("ix_lms_api_key_organisation_id"), "lms_api_key", ["organisation_id"], unique=False
    )
    op.create_table(
        "lms_bulk_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column(
            "results",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_bulk_check_created_by_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_bulk_check_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_bulk_check")),
    )
    op.create_index(
        op.f("ix_lms_bulk_check_organisation_id"),
        "lms_bulk_check",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "lms_dashboard_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_dashboard_visit_profile_id_lms_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_dashboard_visit")),
        sa.UniqueConstraint("profile_id", name=op.f("uq_lms_dashboard_visit_profile_id")),
    )
    op.create_table(
        "lms_hiring_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("expires_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_hiring_code_created_by_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_hiring_code_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_hiring_code")),
        sa.UniqueConstraint("code", name=op.f("uq_lms_hiring_code_code")),
        sa.UniqueConstraint("token", name=op.f("uq_lms_hiring_code_token")),
    )
    op.create_index(
        op.f("ix_lms_hiring_code_organisation_id"),
        "lms_hiring_code",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "lms_certificate_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("hiring_code_id", sa.Integer(), nullable=True),
        sa.Column("show_phone", sa.Boolean(), nullable=False),
        sa.Column("show_id_number", sa.Boolean(), nullable=False),
        sa.Column("shared_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_state", sa.String(length=16), nullable=False),
        sa.Column("state_changed_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["lms_certificate.id"],
            name=op.f("fk_lms_certificate_share_certificate_id_lms_certificate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hiring_code_id"],
            ["lms_hiring_code.id"],
            name=op.f("fk_lms_certificate_share_hiring_code_id_lms_hiring_code"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_certificate_share_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_certificate_share_profile_id_lms_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_certificate_share")),
        sa.UniqueConstraint(
            "organisation_id",
            "certificate_id",
            name=op.f("uq_lms_certificate_share_organisation_id"),
        ),
    )
    op.create_index(
        op.f("ix_lms_certificate_share_certificate_id"),
        "lms_certificate_share",
        ["certificate_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lms_certificate_share_organisation_id"),
        "lms_certificate_share",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lms_certificate_share_profile_id"),
        "lms_certificate_share",
        ["profile_id"],
        unique=False,
    )
    op.create_table(
        "lms_share_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "shared", "withdrawn", "changed", name="shareaction", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("actor_profile_id", sa.Integer(), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_profile_id"],
            ["lms_profile.id"],
            name=op.f("fk_lms_share_event_actor_profile_id_lms_profile"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_share_event_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["lms_certificate_share.id"],
            name=op.f("fk_lms_share_event_share_id_lms_certificate_share"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_share_event")),
    )
    op.create_index(
        op.f("ix_lms_share_event_created_at"), "lms_share_event", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_lms_share_event_organisation_id"),
        "lms_share_event",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lms_share_event_share_id"), "lms_share_event", ["share_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_lms_share_event_share_id"), table_name="lms_share_event")
    op.drop_index(op.f("ix_lms_share_event_organisation_id"), table_name="lms_share_event")
    op.drop_index(op.f("ix_lms_share_event_created_at"), table_name="lms_share_event")
    op.drop_table("lms_share_event")
    op.drop_index(op.f("ix_lms_certificate_share_profile_id"), table_name="lms_certificate_share")
    op.drop_index(
        op.f("ix_lms_certificate_share_organisation_id"), table_name="lms_certificate_share"
    )
    op.drop_index(
        op.f("ix_lms_certificate_share_certificate_id"), table_name="lms_certificate_share"
    )
    op.drop_table("lms_certificate_share")
    op.drop_index(op.f("ix_lms_hiring_code_organisation_id"), table_name="lms_hiring_code")
    op.drop_table("lms_hiring_code")
    op.drop_table("lms_dashboard_visit")
    op.drop_index(op.f("ix_lms_bulk_check_organisation_id"), table_name="lms_bulk_check")
    op.drop_table("lms_bulk_check")
    op.drop_index(op.f("ix_lms_api_key_organisation_id"), table_name="lms_api_key")
    op.drop_table("lms_api_key")
    op.drop_index(
        op.f("ix_lms_bulk_check_usage_organisation_id"), table_name="lms_bulk_check_usage"
    )
    op.drop_table("lms_bulk_check_usage")
