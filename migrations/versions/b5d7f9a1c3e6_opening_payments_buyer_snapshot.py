"""Parties and GST (issue 15 gaps): payments that settle a party's opening balance, a supplier's opening balance,
and the buyer's GSTIN and state snapshotted on each bill

Revision ID: b5d7f9a1c3e6
Revises: b1c2d3e4f5a6
Create Date: 2026-11-27 09:20:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "b5d7f9a1c3e6"
down_revision = "b1c2d3e4f5a6"
branch_labels = None
depends_on = None

MODES = "mode IN ('cash', 'card', 'upi', 'wallet', 'bank', 'cheque', 'other', 'exchange')"


def upgrade():
    op.create_table(
        "opening_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("timestamp", models.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_opening_payment_amount_positive")),
        sa.CheckConstraint(MODES, name=op.f("ck_opening_payment_mode")),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_opening_payment_party_id_party"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_opening_payment_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_opening_payment_user_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_payment")),
    )
    op.create_index("ix_opening_payment_store_timestamp", "opening_payment", ["store_id", "timestamp"])
    op.create_index("ix_opening_payment_party", "opening_payment", ["party_id"])
    with op.batch_alter_table("supplier") as batch:
        batch.add_column(sa.Column("open_balance", sa.Numeric(12, 2), server_default="0", nullable=False))
    with op.batch_alter_table("bill") as batch:
        batch.add_column(sa.Column("buyer_gstin", sa.String(15), nullable=True))
        batch.add_column(sa.Column("buyer_state", sa.String(2), nullable=True))
    # Bills saved before: the buyer's GSTIN as the customer has it now (or as the bill recorded it), once.
    op.execute("""
        UPDATE bill SET buyer_gstin = (SELECT NULLIF(TRIM(customer.gstin), '') FROM customer
                                       WHERE customer.party_id = bill.party_id),
                        buyer_state = (SELECT customer.state_code FROM customer WHERE customer.party_id = bill.party_id)
        WHERE bill.kind = 'sale' AND bill.party_id IS NOT NULL
    """)


def downgrade():
    with op.batch_alter_table("bill") as batch:
        batch.drop_column("buyer_state")
        batch.drop_column("buyer_gstin")
    with op.batch_alter_table("supplier") as batch:
        batch.drop_column("open_balance")
    op.drop_index("ix_opening_payment_party", table_name="opening_payment")
    op.drop_index("ix_opening_payment_store_timestamp", table_name="opening_payment")
    op.drop_table("opening_payment")
