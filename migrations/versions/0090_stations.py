"""stations: an organisation's places for riders, with their facilities

Revision ID: 0090
Revises: 0050
"""

import sqlalchemy as sa

import lms.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0090"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("opening_hours", sa.String(length=80), nullable=False),
        sa.Column(
            "facilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_station_organisation_id_lms_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_station")),
    )
    with op.batch_alter_table("lms_station", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lms_station_district"), ["district"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lms_station_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("lms_station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lms_station_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_lms_station_district"))
    op.drop_table("lms_station")
