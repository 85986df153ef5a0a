"""Jewellery making charge as a percentage of the metal value: making_type PC joins PG and PP

Revision ID: b7e2a9c41d03
Revises: 8a11c0de7e55
Create Date: 2026-11-26 20:10:00
"""
from alembic import op

revision = "b7e2a9c41d03"
down_revision = "8a11c0de7e55"
branch_labels = None
depends_on = None

OLD = "making_type IS NULL OR making_type IN ('PG', 'PP')"
NEW = "making_type IS NULL OR making_type IN ('PG', 'PP', 'PC')"


def upgrade():
    with op.batch_alter_table("product") as batch:
        batch.drop_constraint(op.f("ck_product_making_type"), type_="check")
        batch.create_check_constraint("making_type", NEW)


def downgrade():
    op.execute("UPDATE product SET making_type = NULL WHERE making_type = 'PC'")
    with op.batch_alter_table("product") as batch:
        batch.drop_constraint(op.f("ck_product_making_type"), type_="check")
        batch.create_check_constraint("making_type", OLD)
