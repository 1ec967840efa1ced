"""the LTI 1.3 tool: registered platforms, the tool key, login state, platform
users, contexts, launched sessions, line items and scores for the gradebook

Revision ID: 0130
Revises: 0120
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lms.db import UTCDateTime

revision = "0130"
down_revision = "0120"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_lti_stored_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_stored_value')),
    sa.UniqueConstraint('key', name=op.f('uq_lms_lti_stored_value_key'))
    )
    with op.batch_alter_table('lms_lti_stored_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_stored_value_expires_at'), ['expires_at'], unique=False)

    op.create_table('lms_lti_tool_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=16), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_tool_key')),
    sa.UniqueConstraint('kid', name=op.f('uq_lms_lti_tool_key_kid')),
    sa.UniqueConstraint('slot', name=op.f('uq_lms_lti_tool_key_slot'))
    )
    op.create_table('lms_lti_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('key_set_url', sa.String(length=500), nullable=False),
    sa.Column('auth_login_url', sa.String(length=500), nullable=False),
    sa.Column('auth_token_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['lms_organisation.id'], name=op.f('fk_lms_lti_platform_organisation_id_lms_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_platform')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_lms_lti_platform_issuer'))
    )
    with op.batch_alter_table('lms_lti_platform', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_platform_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('lms_lti_context',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['lms_cohort.id'], name=op.f('fk_lms_lti_context_cohort_id_lms_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['lms_lti_platform.id'], name=op.f('fk_lms_lti_context_platform_id_lms_lti_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_context')),
    sa.UniqueConstraint('platform_id', 'context_id', name=op.f('uq_lms_lti_context_platform_id'))
    )
    with op.batch_alter_table('lms_lti_context', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_context_platform_id'), ['platform_id'], unique=False)

    op.create_table('lms_lti_deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lms_lti_platform.id'], name=op.f('fk_lms_lti_deployment_platform_id_lms_lti_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_deployment')),
    sa.UniqueConstraint('platform_id', 'deployment_id', name=op.f('uq_lms_lti_deployment_platform_id'))
    )
    with op.batch_alter_table('lms_lti_deployment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_deployment_platform_id'), ['platform_id'], unique=False)

    op.create_table('lms_lti_launch_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lms_lti_platform.id'], name=op.f('fk_lms_lti_launch_session_platform_id_lms_lti_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['lms_profile.id'], name=op.f('fk_lms_lti_launch_session_profile_id_lms_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_launch_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_lms_lti_launch_session_token_hash'))
    )
    with op.batch_alter_table('lms_lti_launch_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_launch_session_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_lti_launch_session_profile_id'), ['profile_id'], unique=False)

    op.create_table('lms_lti_line_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('course_key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lms_lti_platform.id'], name=op.f('fk_lms_lti_line_item_platform_id_lms_lti_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['lms_profile.id'], name=op.f('fk_lms_lti_line_item_profile_id_lms_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_line_item')),
    sa.UniqueConstraint('platform_id', 'profile_id', 'course_key', 'url', name=op.f('uq_lms_lti_line_item_platform_id'))
    )
    with op.batch_alter_table('lms_lti_line_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_line_item_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_lti_line_item_profile_id'), ['profile_id'], unique=False)

    op.create_table('lms_lti_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lms_lti_platform.id'], name=op.f('fk_lms_lti_user_platform_id_lms_lti_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['lms_profile.id'], name=op.f('fk_lms_lti_user_profile_id_lms_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_user')),
    sa.UniqueConstraint('platform_id', 'sub', name=op.f('uq_lms_lti_user_platform_id')),
    sa.UniqueConstraint('profile_id', name=op.f('uq_lms_lti_user_profile_id'))
    )
    with op.batch_alter_table('lms_lti_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_user_platform_id'), ['platform_id'], unique=False)

    op.create_table('lms_lti_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_item_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['line_item_id'], ['lms_lti_line_item.id'], name=op.f('fk_lms_lti_score_line_item_id_lms_lti_line_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_lti_score')),
    sa.UniqueConstraint('line_item_id', 'attempt_id', name=op.f('uq_lms_lti_score_line_item_id'))
    )
    with op.batch_alter_table('lms_lti_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_lti_score_delivered_at'), ['delivered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_lti_score_line_item_id'), ['line_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_lti_score_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade():
    for table in (
        "lms_lti_score",
        "lms_lti_user",
        "lms_lti_line_item",
        "lms_lti_launch_session",
        "lms_lti_deployment",
        "lms_lti_context",
        "lms_lti_platform",
        "lms_lti_tool_key",
        "lms_lti_stored_value",
    ):
        op.drop_table(table)
