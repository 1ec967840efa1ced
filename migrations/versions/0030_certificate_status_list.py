"""certificates get an entry in their organisation's revocation status list

Revision ID: 0030
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "0030"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lms_certificate_status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("credential", sa.Text(), nullable=True),
        sa.Column("updated_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["lms_organisation.id"],
            name=op.f("fk_lms_certificate_status_list_organisation_id_lms_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_certificate_status_list")),
        sa.UniqueConstraint(
            "organisation_id", name=op.f("uq_lms_certificate_status_list_organisation_id")
        ),
    )
    # Certificates issued before keep their v1 token and get an entry when
    # their credential is first asked for.
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_list_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lms_certificate_status_list_id_lms_certificate_status_list"),
            "lms_certificate_status_list",
            ["status_list_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_lms_certificate_status_list_id"), ["status_list_id", "status_index"]
        )


def downgrade():
    with op.batch_alter_table("lms_certificate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_lms_certificate_status_list_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_lms_certificate_status_list_id_lms_certificate_status_list"),
            type_="foreignkey",
        )
        batch_op.drop_column("status_index")
        batch_op.drop_column("status_list_id")
    op.drop_table("lms_certificate_status_list")
