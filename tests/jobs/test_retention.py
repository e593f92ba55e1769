"""Retention through a real worker: exactly the records archived too long ago and the audit
entries older than the configured age go, and the run itself is in the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crm_web.companies.services import archive_company
from crm_web.contacts.services import archive_contact
from crm_web.core.actor import SYSTEM
from crm_web.core.db import db
from crm_web.deals.services import archive_deal
from crm_web.jobs.queue import defer
from crm_web.records.operations import delete_company, delete_contact, delete_deal
from tests.jobs.support import run_worker_once
from tests.support import ADMIN, make_company, make_contact, make_deal


def _scalar(sql: str, **params):
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _exists(table: str, record_id) -> bool:
    return bool(_scalar(f"SELECT count(*) FROM {table} WHERE id = :id", id=record_id))  # noqa: S608


@pytest.fixture
def seeded(app_ctx):
    """Committed records (a worker process sees only those): for each kind one archived 40 days
    ago, one archived today, one live; and the live contact's audit entries made 400 days old."""
    made, deal_companies = {}, []
    for kind, make, archive in (
        ("contacts", make_contact, archive_contact),
        ("companies", make_company, archive_company),
        ("deals", make_deal, archive_deal),
    ):
        old, new, live = make(), make(), make()
        archive(old.id, ADMIN)
        archive(new.id, ADMIN)
        made[kind] = {"old": old.id, "new": new.id, "live": live.id}
        if kind == "deals":  # make_deal made a company for each: committed too
            deal_companies += [deal.company_id for deal in (old, new, live)]
        with db.engine.begin() as conn:
            conn.execute(
                text(f"UPDATE {kind} SET archived_at = now() - interval '40 days' WHERE id = :id"),
                {"id": old.id},
            )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE audit_logs SET timestamp = now() - interval '400 days' WHERE entity_id = :id"
            ),
            {"id": made["contacts"]["live"]},
        )
        conn.execute(text("DELETE FROM job_runs"))
    db.session.remove()
    yield made
    for kind, purge in (
        ("deals", delete_deal),
        ("contacts", delete_contact),
        ("companies", delete_company),
    ):
        for record_id in made[kind].values():
            if _exists(kind, record_id):
                purge(record_id, SYSTEM)
    for company_id in deal_companies:
        if _exists("companies", company_id):
            delete_company(company_id, SYSTEM)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM job_runs"))


def test_retention_purges_exactly_what_is_too_old_and_says_so(app, seeded):
    live_contact = seeded["contacts"]["live"]
    old_entries = _scalar("SELECT count(*) FROM audit_logs WHERE entity_id = :id", id=live_contact)
    assert old_entries >= 1
    defer("retention")
    run_worker_once(app, CRM_RETENTION_ARCHIVED_DAYS=30, CRM_RETENTION_AUDIT_DAYS=365)

    for kind, ids in seeded.items():
        assert not _exists(kind, ids["old"]), f"an old archived row of {kind} is still there"
        assert _exists(kind, ids["new"]), f"a recently archived row of {kind} was purged"
        assert _exists(kind, ids["live"]), f"a live row of {kind} was purged"
        deleted_by = _scalar(
            "SELECT user_id FROM audit_logs WHERE entity_id = :id AND action = 'delete'",
            id=ids["old"],
        )
        assert deleted_by == "system"
    assert _scalar("SELECT count(*) FROM audit_logs WHERE entity_id = :id", id=live_contact) == 0

    summary = _scalar(
        "SELECT changes->'summary' FROM audit_logs WHERE entity_type = 'job' ORDER BY seq DESC"
    )
    assert summary == {
        "archived_days": 30,
        "audit_days": 365,
        "deals": 1,
        "contacts": 1,
        "companies": 1,
        "audit_entries": old_entries,
    }


def test_without_retention_settings_nothing_is_purged(app, seeded):
    live_contact = seeded["contacts"]["live"]
    entries = _scalar("SELECT count(*) FROM audit_logs WHERE entity_id = :id", id=live_contact)
    defer("retention")
    run_worker_once(app)

    for kind, ids in seeded.items():
        assert all(_exists(kind, record_id) for record_id in ids.values()), kind
    assert (
        _scalar("SELECT count(*) FROM audit_logs WHERE entity_id = :id", id=live_contact) == entries
    )
    assert _scalar("SELECT count(*) FROM job_runs") == 0
