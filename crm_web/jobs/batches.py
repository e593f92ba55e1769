"""Batched jobs that a killed worker does not spoil: each batch, and the note of how far the job
got, commit in one transaction. A worker killed mid-batch loses that batch's work and its note
together; the job, retried (queue.py retries the jobs of stalled workers), reads the note and
goes on from the last committed batch: no row done twice, none skipped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from crm_web.core.actor import Actor
from crm_web.core.db import db, transaction
from crm_web.jobs.models import JobProgress

_NO_COMMIT_WAIT = text("SET LOCAL synchronous_commit = off")


def _lock_progress(key: str) -> JobProgress:
    db.session.execute(insert(JobProgress).values(key=key).on_conflict_do_nothing())
    return db.session.scalars(
        select(JobProgress).where(JobProgress.key == key).with_for_update()
    ).one()


def run_in_batches(
    key: str,
    next_batch: Callable[[list | None, int], Sequence],
    process: Callable[[Sequence], None],
    cursor_of: Callable[[object], list],
    actor: Actor,
    size: int = 500,
) -> int:
    """Process rows batch by batch until `next_batch(cursor, size)` returns none; returns how
    many rows the job processed in all its runs. `key` names the job's progress (e.g. from the
    job's id, which a retry keeps); `cursor_of(row)` is the JSON key the next batch starts after.
    The row lock on the progress note also keeps two workers from running one job at once.

    A batch commits without waiting for its WAL to reach the disk (synchronous_commit off, for
    its transaction alone): should the server crash, what it may lose is the last batches and
    their notes together, which the job, retried, does again. The job's end (its status, the
    queue's "done") commits as usual, and that flush carries every batch before it."""
    while True:
        with transaction(actor):
            db.session.execute(_NO_COMMIT_WAIT)
            progress = _lock_progress(key)
            if progress.finished:
                return progress.done
            rows = next_batch(progress.cursor, size)
            if rows:
                process(rows)
                progress.cursor = cursor_of(rows[-1])
                progress.done += len(rows)
            else:
                progress.finished = True
            done, finished = progress.done, progress.finished
        if finished:
            return done
