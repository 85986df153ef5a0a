"""Products import jobs (issue 14): the uploaded file, its mapping and the background job's progress and report

Revision ID: f1a2b3c4d5e6
Revises: a7c3e9f1d2b4
Create Date: 2026-11-26 23:30:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "f1a2b3c4d5e6"
down_revision = "a7c3e9f1d2b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("match_by", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.Column("started_at", models.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", models.UTCDateTime(), nullable=True),
        sa.Column("finished_at", models.UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('uploaded', 'queued', 'running', 'done', 'failed')",
                           name=op.f("ck_import_job_status")),
        sa.CheckConstraint("mode IN ('create', 'update', 'upsert')", name=op.f("ck_import_job_mode")),
        sa.CheckConstraint("match_by IN ('sku', 'barcode')", name=op.f("ck_import_job_match_by")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_import_job_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_import_job_user_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
        sa.UniqueConstraint("uid", name=op.f("uq_import_job_uid")),
    )
    op.create_index("ix_import_job_store_created", "import_job", ["store_id", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_import_job_store_created", table_name="import_job")
    op.drop_table("import_job")
