"""Stock adjustments with a reason: opening stock, count, damage, theft, expiry, correction, return to supplier

Revision ID: a7c3e9f1d2b4
Revises: f14c0a7e9b21
Create Date: 2026-11-26 23:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a7c3e9f1d2b4"
down_revision = "f14c0a7e9b21"
branch_labels = None
depends_on = None

OLD_REASONS = ("sale", "purchase", "adjust", "cancel", "import", "return")
NEW_REASONS = OLD_REASONS + ("opening", "count", "damage", "theft", "expiry", "correction", "to_supplier")


def _check(reasons):
    return "reason IN (" + ", ".join(f"'{r}'" for r in reasons) + ")"


def upgrade():
    # Batch mode: SQLite cannot change a CHECK or a column type in place (the table is copied).
    with op.batch_alter_table("stock_move") as batch:
        batch.drop_constraint(op.f("ck_stock_move_reason"), type_="check")
        batch.alter_column("reason", existing_type=sa.String(length=10), type_=sa.String(length=16),
                           existing_nullable=False)
        batch.create_check_constraint("reason", _check(NEW_REASONS))


def downgrade():
    # The moves stay (stock = sum of moves); only their reason falls back to the old catch-all.
    op.execute("UPDATE stock_move SET reason = 'adjust' WHERE " + "NOT " + _check(OLD_REASONS))
    with op.batch_alter_table("stock_move") as batch:
        batch.drop_constraint(op.f("ck_stock_move_reason"), type_="check")
        batch.alter_column("reason", existing_type=sa.String(length=16), type_=sa.String(length=10),
                           existing_nullable=False)
        batch.create_check_constraint("reason", _check(OLD_REASONS))
