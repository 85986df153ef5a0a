"""The salon (issue 16): a staff member's role, the customer's wallet balance and its ledger

Revision ID: b9c1d3e5f7a9
Revises: e6c1a3b5d7f9
Create Date: 2026-11-27 09:30:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "b9c1d3e5f7a9"
down_revision = "e6c1a3b5d7f9"
branch_labels = None
depends_on = None

ROLES = "role IN ('stylist', 'therapist', 'beautician', 'barber', 'receptionist', 'manager', 'other')"
KINDS = "kind IN ('topup', 'membership_credit', 'payment', 'refund', 'cancel', 'adjustment')"
MODES = "pay_mode IS NULL OR pay_mode IN ('cash', 'card', 'upi', 'wallet', 'bank', 'cheque', 'other', 'exchange')"


def upgrade():
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("role", sa.String(20), server_default="stylist", nullable=False))
        batch.create_check_constraint(op.f("ck_staff_role"), ROLES)
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("wallet_balance", sa.Numeric(12, 2), server_default="0", nullable=False))
        batch.create_check_constraint(op.f("ck_customer_wallet_balance"), "wallet_balance >= 0")
    op.create_table(
        "wallet_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False),
        sa.Column("pay_mode", sa.String(10), nullable=True),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(255), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_wallet_entry_kind")),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_wallet_entry_amount_not_zero")),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_wallet_entry_balance_not_negative")),
        sa.CheckConstraint(MODES, name=op.f("ck_wallet_entry_pay_mode")),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_wallet_entry_bill_id_bill"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_note.id"],
                                name=op.f("fk_wallet_entry_credit_note_id_credit_note"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_wallet_entry_party_id_party"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_wallet_entry_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_wallet_entry_user_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_entry")),
    )
    op.create_index("ix_wallet_entry_store_party", "wallet_entry", ["store_id", "party_id", "id"])
    op.create_index(op.f("ix_wallet_entry_bill_id"), "wallet_entry", ["bill_id"])


def downgrade():
    op.drop_index(op.f("ix_wallet_entry_bill_id"), table_name="wallet_entry")
    op.drop_index("ix_wallet_entry_store_party", table_name="wallet_entry")
    op.drop_table("wallet_entry")
    with op.batch_alter_table("customer") as batch:
        batch.drop_constraint(op.f("ck_customer_wallet_balance"), type_="check")
        batch.drop_column("wallet_balance")
    with op.batch_alter_table("staff") as batch:
        batch.drop_constraint(op.f("ck_staff_role"), type_="check")
        batch.drop_column("role")
