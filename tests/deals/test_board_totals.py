"""The board's totals come from deal_stage_totals (migration 0020), kept by a trigger in the same
transaction as every change to deals: the same figures as summing the deals, read from a few
rows however many deals there are (issue 16 point 5)."""

from decimal import Decimal

from sqlalchemy import text

from crm_web.core.db import db
from crm_web.deals import repository as repo
from crm_web.deals.services import archive_deal, move_deal, restore_deal, update_deal
from tests.plans import plan_of, tree
from tests.support import ADMIN, make_deal, make_user, sign_in


def _scanned(filters=None):
    """What summing the live deals gives (the query the board ran before migration 0020)."""
    owner = (filters or {}).get("owner_id")
    status = {
        "open": "NOT s.is_won AND NOT s.is_lost",
        "won": "s.is_won",
        "lost": "s.is_lost",
    }.get((filters or {}).get("status"), "true")
    rows = db.session.execute(
        text(
            "SELECT stage, currency, count(*), sum(value), sum(value * probability / 100) "
            "FROM deals JOIN pipeline_stages s ON s.name = deals.stage "
            f"WHERE archived_at IS NULL AND {status}"
            + (" AND owner_id = :o" if owner else "")
            + " GROUP BY stage, currency"
        ),
        {"o": owner},
    )
    return {(stage, currency): tuple(line) for stage, currency, *line in rows}


def _kept(filters=None):
    return {
        (stage, currency): (count, total, weighted)
        for stage, currency, count, total, weighted in repo.stage_currency_totals(filters or {})
    }


def test_kept_totals_follow_every_change_to_deals(session):
    rep, other = make_user("rep"), make_user("rep")
    a = make_deal(value="1000.00", stage="Lead", owner_id=rep.id)
    b = make_deal(value="250.50", stage="Qualified", currency="EUR", owner_id=rep.id)
    make_deal(value="99.99", stage="Lead")  # no owner
    assert _kept() == _scanned()
    a = move_deal(a.id, "Proposal", ADMIN, a.version)
    b = update_deal(b.id, {"value": "300.00", "owner_id": str(other.id)}, ADMIN)
    assert _kept() == _scanned()
    assert _kept({"owner_id": rep.id}) == _scanned({"owner_id": rep.id})
    assert _kept({"owner_id": other.id})[("Qualified", "EUR")][:2] == (1, Decimal("300.00"))
    # The home page's: my open deals (a status is a set of stages).
    won = make_deal(value="70.00", stage="Won", owner_id=rep.id)
    for status in ("open", "won", "lost"):
        assert _kept({"status": status}) == _scanned({"status": status})
        mine = {"owner_id": rep.id, "status": status}
        assert _kept(mine) == _scanned(mine)
    assert ("Won", "USD") not in _kept({"owner_id": rep.id, "status": "open"})
    assert _kept({"owner_id": rep.id, "status": "won"})[("Won", "USD")][:2] == (1, won.value)
    archive_deal(a.id, ADMIN)
    assert ("Proposal", "USD") not in _kept()
    restore_deal(a.id, ADMIN)
    db.session.execute(text("DELETE FROM deals WHERE id = :id"), {"id": b.id})
    assert _kept() == _scanned()


def test_the_board_headline_counts_what_the_kept_totals_say(client):
    rep = sign_in(client, "rep")
    make_deal(value="1000.00", stage="Lead", owner_id=rep.id)
    make_deal(value="500.00", stage="Lead", owner_id=rep.id)
    page = client.get(f"/deals/board?owner_id={rep.id}").text
    assert "1,500.00" in page


def test_the_board_totals_never_read_the_deals_table(session):
    rep = make_user("rep")
    make_deal(value="10.00", owner_id=rep.id)
    db.session.flush()
    for filters in ({}, {"owner_id": rep.id}, {"owner_id": rep.id, "status": "open"}):
        plan = plan_of(lambda f=filters: repo.stage_currency_totals(f))
        assert "deals" not in _relations(plan), tree(plan)
        assert "deal_stage_totals" in _relations(plan), tree(plan)


def _relations(node: dict) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", ()):
        found |= _relations(child)
    return found
