"""Indian retail billing: decimal quantities, MRP prices, IGST, round-off, credit notes

Quantities of stock, bill lines and stock moves become Numeric(12,3) (kg, g, l, ml, m take three decimals; pieces
stay whole by rule); products gain price_includes_tax and a checked unit; bills and lines gain IGST, round-off,
the bill-discount share of a line and what was returned and credited; customers gain a legal name; bills may be
`cancelled` (which the existing cancelled bills become, with no dues); credit notes get their own tables.

Revision ID: 8a11c0de7e55
Revises: 3c1d2e4f5a6b
Create Date: 2026-11-26 17:20:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "8a11c0de7e55"
down_revision = "3c1d2e4f5a6b"
branch_labels = None
depends_on = None

QTY = sa.Numeric(12, 3)
MONEY = sa.Numeric(12, 2)
RATE = sa.Numeric(5, 2)
UNITS = "unit IN ('pcs', 'kg', 'g', 'l', 'ml', 'm')"
OLD_STATUSES = "status IN ('paid', 'partial', 'unpaid')"
NEW_STATUSES = "status IN ('paid', 'partial', 'unpaid', 'cancelled')"
OLD_REASONS = "reason IN ('sale', 'purchase', 'adjust', 'cancel', 'import')"
NEW_REASONS = "reason IN ('sale', 'purchase', 'adjust', 'cancel', 'import', 'return')"


def _money(name: str) -> sa.Column:
    return sa.Column(name, MONEY, server_default="0", nullable=False)


def upgrade():
    op.execute("UPDATE product SET unit = 'pcs' WHERE unit NOT IN ('pcs', 'kg', 'g', 'l', 'ml', 'm')")
    with op.batch_alter_table("product") as batch:
        batch.alter_column("quantity", existing_type=sa.Integer(), type_=QTY, existing_nullable=False)
        batch.add_column(sa.Column("price_includes_tax", sa.Boolean(), server_default="0", nullable=False))
        batch.create_check_constraint("unit", UNITS)
    with op.batch_alter_table("stock_move") as batch:
        batch.alter_column("delta", existing_type=sa.Integer(), type_=QTY, existing_nullable=False)
        batch.drop_constraint(op.f("ck_stock_move_reason"), type_="check")
        batch.create_check_constraint("reason", NEW_REASONS)
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("legal_name", sa.String(255), nullable=True))
    with op.batch_alter_table("bill") as batch:
        for name in ("igst_amount", "round_off", "credited_amount", "refunded_amount"):
            batch.add_column(_money(name))
        batch.drop_constraint(op.f("ck_bill_status"), type_="check")
        batch.create_check_constraint("status", NEW_STATUSES)
    op.execute("UPDATE bill SET status = 'cancelled', due_amount = 0 WHERE cancelled_at IS NOT NULL")
    with op.batch_alter_table("bill_item") as batch:
        batch.alter_column("qty", existing_type=sa.Integer(), type_=QTY, existing_nullable=False)
        batch.add_column(sa.Column("returned_qty", QTY, server_default="0", nullable=False))
        batch.add_column(sa.Column("price_includes_tax", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("igst_rate", RATE, server_default="0", nullable=False))
        batch.add_column(_money("igst_amount"))
        batch.add_column(_money("bill_discount_amount"))
        batch.drop_constraint(op.f("ck_bill_item_qty_positive"), type_="check")
        batch.create_check_constraint("qty_positive", "qty > 0")
        batch.create_check_constraint("returned_qty", "returned_qty >= 0 AND returned_qty <= qty")

    op.create_table(
        "credit_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(50), nullable=False),
        sa.Column("series", sa.String(6), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("note_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("refund_mode", sa.String(10), nullable=False),
        *(sa.Column(name, MONEY, nullable=False) for name in (
            "refund_amount", "dues_reduced", "sub_total", "discount", "taxable_amount", "cgst_amount",
            "sgst_amount", "igst_amount", "tax", "round_off", "total_amount")),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint("refund_mode IN ('cash', 'card', 'upi', 'wallet', 'none')",
                           name=op.f("ck_credit_note_refund_mode")),
        sa.CheckConstraint("total_amount >= 0 AND refund_amount >= 0 AND dues_reduced >= 0",
                           name=op.f("ck_credit_note_amounts")),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_credit_note_bill_id_bill"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_credit_note_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_credit_note_user_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("store_id", "number", name=op.f("uq_credit_note_store_id_number")),
        sa.UniqueConstraint("uid", name=op.f("uq_credit_note_uid")),
    )
    op.create_index("ix_credit_note_bill_id", "credit_note", ["bill_id"])
    op.create_index("ix_credit_note_store_created", "credit_note", ["store_id", "created_at"])
    op.create_table(
        "credit_note_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("bill_item_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("hsn_code", sa.String(8), nullable=True),
        sa.Column("unit", sa.String(12), nullable=False),
        sa.Column("qty", QTY, nullable=False),
        sa.Column("rate", MONEY, nullable=False),
        sa.Column("taxable_amount", MONEY, nullable=False),
        sa.Column("cgst_rate", RATE, nullable=False),
        sa.Column("sgst_rate", RATE, nullable=False),
        sa.Column("igst_rate", RATE, nullable=False),
        sa.Column("cgst_amount", MONEY, nullable=False),
        sa.Column("sgst_amount", MONEY, nullable=False),
        sa.Column("igst_amount", MONEY, nullable=False),
        sa.Column("line_total", MONEY, nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_credit_note_item_qty_positive")),
        sa.ForeignKeyConstraint(["bill_item_id"], ["bill_item.id"],
                                name=op.f("fk_credit_note_item_bill_item_id_bill_item"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_note.id"],
                                name=op.f("fk_credit_note_item_credit_note_id_credit_note"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_credit_note_item_product_id_product"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_item")),
    )
    op.create_index("ix_credit_note_item_credit_note_id", "credit_note_item", ["credit_note_id"])
    op.create_index("ix_credit_note_item_bill_item_id", "credit_note_item", ["bill_item_id"])


def downgrade():
    op.drop_table("credit_note_item")
    op.drop_table("credit_note")
    op.execute("UPDATE bill SET status = 'unpaid' WHERE status = 'cancelled'")
    op.execute("DELETE FROM stock_move WHERE reason = 'return'")
    with op.batch_alter_table("bill_item") as batch:
        batch.drop_constraint(op.f("ck_bill_item_returned_qty"), type_="check")
        batch.drop_constraint(op.f("ck_bill_item_qty_positive"), type_="check")
        for name in ("bill_discount_amount", "igst_amount", "igst_rate", "price_includes_tax", "returned_qty"):
            batch.drop_column(name)
        batch.alter_column("qty", existing_type=QTY, type_=sa.Integer(), existing_nullable=False)
        batch.create_check_constraint("qty_positive", "qty >= 1")
    with op.batch_alter_table("bill") as batch:
        batch.drop_constraint(op.f("ck_bill_status"), type_="check")
        batch.create_check_constraint("status", OLD_STATUSES)
        for name in ("refunded_amount", "credited_amount", "round_off", "igst_amount"):
            batch.drop_column(name)
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("legal_name")
    with op.batch_alter_table("stock_move") as batch:
        batch.drop_constraint(op.f("ck_stock_move_reason"), type_="check")
        batch.create_check_constraint("reason", OLD_REASONS)
        batch.alter_column("delta", existing_type=QTY, type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("product") as batch:
        batch.drop_constraint(op.f("ck_product_unit"), type_="check")
        batch.drop_column("price_includes_tax")
        batch.alter_column("quantity", existing_type=QTY, type_=sa.Integer(), existing_nullable=False)
