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
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops the column in place; a batch rebuild would DROP TABLE "user", and with foreign keys on
        # that deletes every row referring to a user (memberships, till sessions).
        op.execute('ALTER TABLE "user" DROP COLUMN session_version')
    else:
        op.drop_column('user', 'session_version')
