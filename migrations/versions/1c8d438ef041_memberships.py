"""Memberships and packages (issue 16): plans, the plans sold to customers, their sessions and the session ledger;
the membership discount part of a bill line

Revision ID: 1c8d438ef041
Revises: b5d7f9a1c3e6
Create Date: 2026-11-27 09:48:23.696205

"""
import sqlalchemy as sa
from alembic import op

import models

# revision identifiers, used by Alembic.
revision = '1c8d438ef041'
down_revision = 'b5d7f9a1c3e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('membership_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('service_discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('product_discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('prepaid_value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.UTCDateTime(), nullable=False),
    sa.CheckConstraint('prepaid_value >= 0', name=op.f('ck_membership_plan_prepaid_not_negative')),
    sa.CheckConstraint('price >= 0', name=op.f('ck_membership_plan_price_not_negative')),
    sa.CheckConstraint('product_discount >= 0 AND product_discount <= 100', name=op.f('ck_membership_plan_product_discount')),
    sa.CheckConstraint('service_discount >= 0 AND service_discount <= 100', name=op.f('ck_membership_plan_service_discount')),
    sa.CheckConstraint('validity_days > 0', name=op.f('ck_membership_plan_validity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_membership_plan_product_id_product'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_membership_plan_store_id_store'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_plan')),
    sa.UniqueConstraint('product_id', name=op.f('uq_membership_plan_product_id')),
    sa.UniqueConstraint('store_id', 'name', name=op.f('uq_membership_plan_store_id_name'))
    )
    with op.batch_alter_table('membership_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_plan_store_id'), ['store_id'], unique=False)

    op.create_table('customer_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('bill_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('service_discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('product_discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('credit_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', models.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f('ck_customer_membership_status')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_customer_membership_dates')),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_customer_membership_bill_id_bill'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_customer_membership_party_id_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['membership_plan.id'], name=op.f('fk_customer_membership_plan_id_membership_plan'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_customer_membership_store_id_store'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_membership'))
    )
    with op.batch_alter_table('customer_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_membership_bill_id'), ['bill_id'], unique=False)
        batch_op.create_index('ix_customer_membership_party', ['party_id', 'status', 'ends_on'], unique=False)

    op.create_table('membership_plan_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.CheckConstraint('sessions > 0', name=op.f('ck_membership_plan_service_sessions_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['membership_plan.id'], name=op.f('fk_membership_plan_service_plan_id_membership_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_membership_plan_service_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_plan_service')),
    sa.UniqueConstraint('plan_id', 'product_id', name=op.f('uq_membership_plan_service_plan_id_product_id'))
    )
    op.create_table('membership_allowance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.CheckConstraint('used >= 0 AND used <= sessions', name=op.f('ck_membership_allowance_used_within_sessions')),
    sa.ForeignKeyConstraint(['membership_id'], ['customer_membership.id'], name=op.f('fk_membership_allowance_membership_id_customer_membership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_membership_allowance_product_id_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_allowance')),
    sa.UniqueConstraint('membership_id', 'product_id', name=op.f('uq_membership_allowance_membership_id_product_id'))
    )
    op.create_table('membership_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allowance_id', sa.Integer(), nullable=False),
    sa.Column('bill_id', sa.Integer(), nullable=False),
    sa.Column('bill_item_id', sa.Integer(), nullable=True),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('created_at', models.UTCDateTime(), nullable=False),
    sa.Column('reversed_at', models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['allowance_id'], ['membership_allowance.id'], name=op.f('fk_membership_session_allowance_id_membership_allowance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_membership_session_bill_id_bill'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bill_item_id'], ['bill_item.id'], name=op.f('fk_membership_session_bill_item_id_bill_item'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_session'))
    )
    with op.batch_alter_table('membership_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_session_allowance_id'), ['allowance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_session_bill_id'), ['bill_id'], unique=False)

    with op.batch_alter_table('bill_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership_discount', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('bill_item', schema=None) as batch_op:
        batch_op.drop_column('membership_discount')

    with op.batch_alter_table('membership_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_session_bill_id'))
        batch_op.drop_index(batch_op.f('ix_membership_session_allowance_id'))

    op.drop_table('membership_session')
    op.drop_table('membership_allowance')
    op.drop_table('membership_plan_service')
    with op.batch_alter_table('customer_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_membership_party')
        batch_op.drop_index(batch_op.f('ix_customer_membership_bill_id'))

    op.drop_table('customer_membership')
    with op.batch_alter_table('membership_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_plan_store_id'))

    op.drop_table('membership_plan')
