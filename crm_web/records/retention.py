"""Retention: a daily job that deletes for good the records archived longer than
CRM_RETENTION_ARCHIVED_DAYS (through the purge operations, so what hangs on them goes too and
every deletion is audited) and the audit entries older than CRM_RETENTION_AUDIT_DAYS. Either
setting unset keeps those forever. Each run leaves an audited `job` entry saying how many of
what it purged. Batched (jobs/batches.py): a worker killed mid-run costs nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from crm_web.audit.services import entries_before, purge_entries
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
from crm_web.core.actor import SYSTEM, Actor
from crm_web.core.db import transaction
from crm_web.core.repository import archived_before
from crm_web.deals.models import Deal
from crm_web.jobs.batches import run_in_batches
from crm_web.jobs.models import JobRun
from crm_web.jobs.queue import job
from crm_web.records.operations import delete_company, delete_contact, delete_deal

# Deals first: a company's purge takes its deals along, which would leave the deal batch short.
ARCHIVED = (
    ("deals", Deal, delete_deal),
    ("contacts", Contact, delete_contact),
    ("companies", Company, delete_company),
)
BATCH = 200


def purge_expired(
    run_key: str, archived_days: int | None, audit_days: int | None, actor: Actor = SYSTEM
) -> dict:
    """Purge what has outlived the retention ages; returns {what: how many} and records it.
    `run_key` names this run's progress (the same key resumes an interrupted run)."""
    summary: dict = {"archived_days": archived_days, "audit_days": audit_days}
    if archived_days:
        cutoff = datetime.now(UTC) - timedelta(days=archived_days)
        for name, model, purge in ARCHIVED:

            def purge_batch(ids, purge=purge):
                for record_id in ids:
                    purge(record_id, actor)

            summary[name] = run_in_batches(
                f"{run_key}:{name}",
                lambda after, size, model=model: archived_before(model, cutoff, after, size),
                purge_batch,
                str,
                actor,
                BATCH,
            )
    if audit_days:
        cutoff = datetime.now(UTC) - timedelta(days=audit_days)
        summary["audit_entries"] = run_in_batches(
            f"{run_key}:audit",
            lambda after, size: entries_before(cutoff, after, size),
            lambda seqs: purge_entries(list(seqs), actor),
            int,
            actor,
            BATCH * 10,
        )
    if archived_days or audit_days:
        with transaction(actor) as session:
            session.add(JobRun(name="retention", summary=summary))
    return summary


@job("retention", cron="17 3 * * *", queueing_lock="retention")
def retention_job(context, timestamp: int | None = None) -> dict:
    """Daily at 03:17 (and whenever deferred): purge with the configured ages."""
    config = current_app.config
    return purge_expired(
        f"retention:{context.job.id}",
        config["RETENTION_ARCHIVED_DAYS"],
        config["RETENTION_AUDIT_DAYS"],
    )
