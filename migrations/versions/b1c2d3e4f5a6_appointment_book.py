"""Salon appointment book (issue 16): product.duration_minutes, appointment, appointment_line and, on PostgreSQL,
the exclusion constraint that refuses overlapping live bookings of one staff member (btree_gist)

Revision ID: b1c2d3e4f5a6
Revises: b9c1d3e5f7a9
Create Date: 2026-11-27 09:30:00
"""
import sqlalchemy as sa
from alembic import op

from models import UTCDateTime

revision = "b1c2d3e4f5a6"
down_revision = "b9c1d3e5f7a9"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch): on SQLite a rebuilt product table would lose the search index's triggers and the
    # expression indexes. The range check is PostgreSQL's only here (SQLite cannot add one without a rebuild; the
    # product form and services.catalog.products refuse a length outside 1-1440 on both).
    op.add_column("product", sa.Column("duration_minutes", sa.Integer(), server_default="30", nullable=False))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.create_check_constraint(op.f("ck_product_duration_minutes"), "product",
                                   "duration_minutes > 0 AND duration_minutes <= 1440")
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("store_id", sa.Integer(), sa.ForeignKey("store.id", ondelete="CASCADE"), nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("bill_id", sa.Integer(), sa.ForeignKey("bill.id", ondelete="SET NULL")),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('booked', 'arrived', 'done', 'no-show', 'cancelled')", name=op.f("ck_appointment_status")),
    )
    op.create_index("ix_appointment_store_id", "appointment", ["store_id"])
    op.create_index("ix_appointment_party_id", "appointment", ["party_id"])
    op.create_table(
        "appointment_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("appointment_id", sa.Integer(), sa.ForeignKey("appointment.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("store_id", sa.Integer(), sa.ForeignKey("store.id", ondelete="CASCADE"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id", ondelete="CASCADE"), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), server_default="0", nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointment_line_ends_after_start")),
    )
    op.create_index("ix_appointment_line_appointment_id", "appointment_line", ["appointment_id"])
    op.create_index("ix_appointment_line_store_starts", "appointment_line", ["store_id", "starts_at"])
    op.create_index("ix_appointment_line_staff_starts", "appointment_line", ["staff_id", "starts_at"])
    if bind.dialect.name == "postgresql":
        from services.salon.appointments import create_overlap_constraint

        create_overlap_constraint(bind)


def downgrade():
    op.drop_table("appointment_line")
    op.drop_table("appointment")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_product_duration_minutes"), "product", type_="check")
    op.drop_column("product", "duration_minutes")  # DROP COLUMN in place (SQLite 3.35+), no rebuild
