"""The import job: staged rows, a batch per transaction (jobs/batches.py), so a killed worker's
import goes on from its last committed batch with no row imported twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import current_app

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
    ahead = _Ahead(current_app._get_current_object(), plan, actor)

    def next_batch(cursor, size):
        return ahead.rows(cursor or 0) or repo.rows_after(import_id, cursor or 0, size)

    def process(rows):
        current = repo.get_import(import_id, for_update=True)
        checked = ahead.checked(rows) or services.check_batch(plan, rows, actor)
        following = repo.rows_after(import_id, rows[-1].row_number, size)
        if following:
            rules = services.check_rules(plan.kind, actor, plan.options)
            ahead.start(rows[-1].row_number, following, rules)
        outcomes = services.write_batch(current, checked, actor, companies)
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


class _Ahead:
    """The next batch's rows, checked (services.check_batch, given what it reads beforehand:
    no database work, no session) in a thread while this thread waits for PostgreSQL to write
    the current batch: the app's work a row and the database's overlap instead of taking
    turns. Used only for the very rows the job asks for next; anything else (the job resumed
    elsewhere, an error in the thread) is checked again here. Companies, duplicates and every
    write stay in the batch's transaction."""

    def __init__(self, app, plan, actor):
        self.app, self.plan, self.actor = app, plan, actor
        self.thread: threading.Thread | None = None
        self.after: int | None = None
        self.found: tuple | None = None  # (rows, checked or None)

    def start(self, after: int, rows: list, rules: dict) -> None:
        self.stop()
        self.after, self.found = after, (rows, None)
        self.thread = threading.Thread(target=self._check, args=(rows, rules), daemon=True)
        self.thread.start()

    def _check(self, rows, rules) -> None:
        with self.app.app_context():  # the checks read the app's config (phone region)
            self.found = (rows, services.check_batch(self.plan, rows, self.actor, rules))

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def rows(self, after: int) -> list | None:
        """The rows after `after` when they are the ones read ahead."""
        self.stop()
        return self.found[0] if self.found is not None and self.after == after else None

    def checked(self, rows) -> list | None:
        self.stop()
        if self.found is None or self.found[0] is not rows:
            return None
        return self.found[1]
