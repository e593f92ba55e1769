"""The import job: staged rows, a batch per transaction (jobs/batches.py), so a killed worker's
import goes on from its last committed batch with no row imported twice."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from flask import current_app

from crm_web.core.actor import SYSTEM
from crm_web.core.db import transaction
from crm_web.imports import repository as repo
from crm_web.imports import services
from crm_web.jobs.ahead import LookAhead
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
    # What checking a row reads of the import, as plain values: the look-ahead thread reads it
    # while this thread's session expires and reloads the ORM record at each commit.
    plan = SimpleNamespace(
        id=record.id,
        kind=record.kind,
        header=list(record.header),
        mapping=list(record.mapping),
        options=dict(record.options or {}),
    )
    companies: dict = {}
    size = current_app.config["IMPORT_BATCH_ROWS"]
    # The next batch checked in a thread while this one is written: no database work (what
    # check_batch reads, `rules`, is read here), no ORM object (`plan`, rows as plain tuples).
    ahead = LookAhead(
        current_app._get_current_object(),
        lambda rows, rules: services.check_batch(plan, rows, actor, rules),
    )

    def next_batch(cursor, size):
        return ahead.rows_after(cursor or 0) or repo.rows_after(import_id, cursor or 0, size)

    def process(rows):
        current = repo.get_import(import_id, for_update=True)
        checked = ahead.result(rows) or services.check_batch(plan, rows, actor)
        following = repo.rows_after(import_id, rows[-1].row_number, size)
        if following:
            rules = services.check_rules(plan.kind, actor, plan.options)
            ahead.start(rows[-1].row_number, following, rules)
        outcomes = services.write_batch(current, checked, actor, companies)
        if current.done == 0:
            repo.count_rows_again_if_stale(plan.kind, len(rows))
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
    finally:
        ahead.stop()
    with transaction(SYSTEM):
        record = repo.get_import(import_id, for_update=True)
        record.status = "done"
        record.finished_at = datetime.now(UTC)
        repo.drop_done_rows(import_id)
    return done
