"""Reports (issue 15): payments by their time (dues collected, the day book, the day close)

Revision ID: a8b0c2d4e6f7
Revises: d6a4c2e8f1b3
Create Date: 2026-11-27 07:30:00
"""
from alembic import op

revision = "a8b0c2d4e6f7"
down_revision = "d6a4c2e8f1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_payment_timestamp", "payment", ["timestamp"])


def downgrade():
    op.drop_index("ix_payment_timestamp", table_name="payment")
