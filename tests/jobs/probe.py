"""A batched job for the tests: copies the ids of `job_probe_rows` into `job_probe_done`, a
batch at a time, pausing inside each batch's transaction so a kill lands mid-batch."""

from __future__ import annotations

import time

from sqlalchemy import text

from crm_web.core.actor import SYSTEM
from crm_web.core.db import db
from crm_web.jobs.batches import run_in_batches
from crm_web.jobs.queue import job


def _next(after, size):
    query = "SELECT id FROM job_probe_rows WHERE id > :after ORDER BY id LIMIT :size"
    return list(db.session.scalars(text(query), {"after": after or 0, "size": size}))


@job("probe_batches")
def probe_batches(context, size: int, pause: float) -> int:
    def process(ids):
        db.session.execute(
            text("INSERT INTO job_probe_done (row_id) SELECT unnest(CAST(:ids AS int[]))"),
            {"ids": list(ids)},
        )
        time.sleep(pause)  # the job's pace, so that the test's kill finds it mid-batch

    return run_in_batches(f"probe:{context.job.id}", _next, process, int, SYSTEM, size)
