"""The API's bulk jobs and their items, the responses kept for Idempotency-Key retries, and
the per-token request counts of the rate limit (issue 13, points 6 and 7).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.text("clock_timestamp()")


def upgrade():
    op.create_table(
        "api_bulk_jobs",
        sa.Column("id", UUID, server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("resource", sa.String(30), nullable=False),
        sa.Column("token_id", UUID, nullable=False),
        sa.Column("actor", postgresql.JSONB(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_api_bulk_jobs"),
    )
    op.create_index("idx_api_bulk_jobs_token", "api_bulk_jobs", ["token_id"])
    op.create_table(
        "api_bulk_items",
        sa.Column("job_id", UUID, nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("payload", postgresql.JSONB()),
        sa.Column("record_id", UUID),
        sa.Column("errors", postgresql.JSONB()),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["api_bulk_jobs.id"],
            name="fk_api_bulk_items_job_id_api_bulk_jobs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "index", name="pk_api_bulk_items"),
    )
    op.create_table(
        "api_idempotency_keys",
        sa.Column("token_id", UUID, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("body", sa.Text()),
        sa.Column("headers", postgresql.JSONB()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("token_id", "key", name="pk_api_idempotency_keys"),
    )
    op.create_index("idx_api_idempotency_keys_created", "api_idempotency_keys", ["created_at"])
    op.create_table(
        "api_rate_counts",
        sa.Column("token_id", UUID, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", "window_start", name="pk_api_rate_counts"),
    )


def downgrade():
    op.drop_table("api_rate_counts")
    op.drop_index("idx_api_idempotency_keys_created", table_name="api_idempotency_keys")
    op.drop_table("api_idempotency_keys")
    op.drop_table("api_bulk_items")
    op.drop_index("idx_api_bulk_jobs_token", table_name="api_bulk_jobs")
    op.drop_table("api_bulk_jobs")
