"""The import job: staged rows, a batch per transaction (jobs/batches.py), so a killed worker's
import goes on from its last committed batch with no row imported twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flask import current_app

from crm_web.core import validation
from crm_web.core.actor import SYSTEM
from crm_web.core.db import transaction
from crm_web.imports import repository as repo
from crm_web.imports import services
from crm_web.jobs.batches import run_in_batches
from crm_web.jobs.queue import job


@job("import_file")
def import_file(context, import_id: int) -> int:
    """Import every staged row of import `import_id`; the counts are kept with each batch."""
    with transaction(SYSTEM):
        record = repo.get_import(import_id, for_update=True)
        record.status = "running"
        record.started_at = record.started_at or datetime.now(UTC)
    actor = services.import_actor(record)
    companies: dict = {}
    size = current_app.config["IMPORT_BATCH_ROWS"]
    ahead: list[threading.Thread] = []

    def next_batch(cursor, size):
        return repo.rows_after(import_id, cursor or 0, size)

    def process(rows):
        current = repo.get_import(import_id, for_update=True)
        for thread in ahead:
            thread.join()
        ahead[:] = [_check_ahead(current, repo.rows_after(import_id, rows[-1].row_number, size))]
        outcomes = services.import_batch(current, rows, actor, companies)
        repo.set_outcomes(import_id, outcomes)
        current.done += len(rows)
        for key in services.OUTCOMES:
            setattr(
                current, key, getattr(current, key) + sum(o["outcome"] == key for o in outcomes)
            )

    try:
        done = run_in_batches(
            f"import:{import_id}",
            next_batch,
            process,
            lambda row: row.row_number,
            actor,
            size,
        )
    except Exception:
        with transaction(SYSTEM):
            repo.get_import(import_id, for_update=True).status = "failed"
        raise
    with transaction(SYSTEM):
        record = repo.get_import(import_id, for_update=True)
        record.status = "done"
        record.finished_at = datetime.now(UTC)
        repo.drop_done_rows(import_id)
    return done


def _check_ahead(record, rows) -> threading.Thread:
    """Start checking the emails and phones of `rows` (the next batch) in a thread: it runs
    while this batch waits for PostgreSQL to write it, and the next batch's checks (the same
    functions, validation.email and .phone) find the answers ready. Half of the app's time a
    row, on the other core."""
    emails, phones = [], []
    for index, target in enumerate(record.mapping or []):
        field = (target or "").partition(":")[0]
        found = emails if field == "emails" else phones if field in ("phones", "phone") else None
        if found is not None:
            found.extend(row.cells[index].strip() for row in rows if index < len(row.cells))
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    thread = threading.Thread(target=validation.warm_up, args=(emails, phones, region))
    thread.start()
    return thread
