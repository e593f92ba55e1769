"""Jobs for the tests. probe_batches copies the ids of `job_probe_rows` into `job_probe_done`, a
batch at a time, pausing inside each batch's transaction so a kill lands mid-batch;
probe_priority notes the OS priority it runs at in `job_probe_priority`."""

from __future__ import annotations

import os
import time
from pathlib import Path

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


@job("probe_priority")
def probe_priority(context) -> None:
    """Note the priority this job runs at: its process's and its database backend's."""
    backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    stat = Path(f"/proc/{backend}/stat").read_text()
    db.session.execute(
        text("INSERT INTO job_probe_priority VALUES (:process, :backend, :nice, :uid)"),
        {
            "process": os.getpriority(os.PRIO_PROCESS, 0),
            "backend": backend,
            # The fields after the command's closing parenthesis: nice is the 19th of stat.
            "nice": int(stat[stat.rindex(")") + 2 :].split()[16]),
            "uid": Path(f"/proc/{backend}").stat().st_uid,
        },
    )
    db.session.commit()
