"""The board's totals kept as they change (issue 16 point 5): deal_stage_totals holds the count,
total and weighted value of live deals per owner, stage and currency, maintained by a trigger on
deals in the same transaction as every change (services, imports, SQL), so the board reads a
few dozen rows however many deals there are.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# Two changes of one UPDATE (out of the old key, into the new) touch their rows in key order,
# so two moves in opposite directions wait for each other instead of deadlocking.
FUNCTION = """
CREATE FUNCTION crm_deal_stage_totals_change(
    o uuid, s text, c text, n integer, v numeric, p integer
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO deal_stage_totals AS t (owner_id, stage, currency, deals, total, weighted)
    VALUES (o, s, c, n, n * v, n * (v * p / 100))
    ON CONFLICT (owner_id, stage, currency) DO UPDATE
    SET deals = t.deals + excluded.deals, total = t.total + excluded.total,
        weighted = t.weighted + excluded.weighted
$$;

CREATE FUNCTION crm_deal_stage_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.archived_at IS NULL;
    now_live boolean := TG_OP <> 'DELETE' AND NEW.archived_at IS NULL;
BEGIN
    IF was AND now_live AND (COALESCE(OLD.owner_id::text, ''), OLD.stage, OLD.currency)
            > (COALESCE(NEW.owner_id::text, ''), NEW.stage, NEW.currency) THEN
        PERFORM crm_deal_stage_totals_change(
            NEW.owner_id, NEW.stage, NEW.currency, 1, NEW.value, NEW.probability);
        PERFORM crm_deal_stage_totals_change(
            OLD.owner_id, OLD.stage, OLD.currency, -1, OLD.value, OLD.probability);
        RETURN NULL;
    END IF;
    IF was THEN
        PERFORM crm_deal_stage_totals_change(
            OLD.owner_id, OLD.stage, OLD.currency, -1, OLD.value, OLD.probability);
    END IF;
    IF now_live THEN
        PERFORM crm_deal_stage_totals_change(
            NEW.owner_id, NEW.stage, NEW.currency, 1, NEW.value, NEW.probability);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_deals_stage_totals
AFTER INSERT OR DELETE OR UPDATE OF owner_id, stage, currency, value, probability, archived_at
ON deals FOR EACH ROW EXECUTE FUNCTION crm_deal_stage_totals();
"""


def upgrade():
    op.create_table(
        "deal_stage_totals",
        sa.Column("owner_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("stage", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Numeric(), nullable=False),
        sa.Column("weighted", sa.Numeric(), nullable=False),
    )
    op.create_index(
        "uq_deal_stage_totals_key",
        "deal_stage_totals",
        ["owner_id", "stage", "currency"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.execute(FUNCTION)
    op.execute(
        """
        INSERT INTO deal_stage_totals (owner_id, stage, currency, deals, total, weighted)
        SELECT owner_id, stage, currency, count(*), sum(value), sum(value * probability / 100)
        FROM deals WHERE archived_at IS NULL GROUP BY owner_id, stage, currency
        """
    )


def downgrade():
    op.execute("DROP TRIGGER trg_deals_stage_totals ON deals")
    op.execute("DROP FUNCTION crm_deal_stage_totals()")
    op.execute(
        "DROP FUNCTION crm_deal_stage_totals_change(uuid, text, text, integer, numeric, integer)"
    )
    op.drop_table("deal_stage_totals")
