"""GST returns read a month of sales and credit notes by their printed dates: bill (store_id, invoice_date) and
credit_note (store_id, note_date)

Revision ID: c4f2a8e6d1b9
Revises: d7a1c3e5b9f2
Create Date: 2026-11-27 06:30:00
"""
from alembic import op

revision = "c4f2a8e6d1b9"
down_revision = "d7a1c3e5b9f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_bill_store_invoice_date", "bill", ["store_id", "invoice_date"])
    op.create_index("ix_credit_note_store_note_date", "credit_note", ["store_id", "note_date"])


def downgrade():
    op.drop_index("ix_credit_note_store_note_date", table_name="credit_note")
    op.drop_index("ix_bill_store_invoice_date", table_name="bill")
