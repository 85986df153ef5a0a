"""user.session_version: logout ends every web session of the user

Revision ID: 5e55a0e1c0de
Revises: df79ea8cf9bc
Create Date: 2026-11-26 14:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e55a0e1c0de'
down_revision = 'df79ea8cf9bc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
