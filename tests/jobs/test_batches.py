"""A batched job survives its worker being killed: another worker finishes it, and every row
is processed exactly once."""

from __future__ import annotations

import signal
import sys

import pytest
from sqlalchemy import text

from crm_web.core.actor import SYSTEM
from crm_web.core.db import db
from crm_web.jobs.batches import run_in_batches
from crm_web.jobs.queue import defer
from tests.jobs import probe  # noqa: F401  (registers probe_batches before the queue is built)
from tests.jobs.support import start_worker, wait_for

ROWS = 60


def _count(sql: str, **params) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture
def probe_tables(app_ctx):
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE job_probe_rows (id int PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE job_probe_done (row_id int NOT NULL)"))
        conn.execute(text(f"INSERT INTO job_probe_rows SELECT generate_series(1, {ROWS})"))
    yield
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE job_probe_rows, job_probe_done"))
        conn.execute(text("DELETE FROM job_progress WHERE key LIKE 'probe:%'"))


def test_a_killed_workers_job_resumes_from_its_last_committed_batch(app, probe_tables):
    job_id = defer("probe_batches", size=5, pause=0.3)
    command = [sys.executable, "-m", "tests.jobs.worker_main"]
    first = start_worker(app, *command)
    try:
        wait_for(lambda: _count("SELECT count(*) FROM job_probe_done") >= 15, what="3 batches")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    committed = _count("SELECT count(*) FROM job_probe_done")
    assert 15 <= committed < ROWS, "the kill came after the job had finished"
    assert _count("SELECT status::text = 'doing' FROM procrastinate_jobs WHERE id = :id", id=job_id)

    second = start_worker(app, *command)
    try:
        wait_for(
            lambda: (
                _count(
                    "SELECT count(*) FROM procrastinate_jobs WHERE id = :id AND status = 'doing'",
                    id=job_id,
                )
                == 0
                and _count("SELECT count(*) FROM job_probe_done") >= ROWS
            ),
            what="the job to finish",
        )
    finally:
        second.terminate()
        second.wait(timeout=30)

    assert _count("SELECT count(*) FROM job_probe_done") == ROWS
    assert _count("SELECT count(DISTINCT row_id) FROM job_probe_done") == ROWS
    assert _count(f"SELECT count(*) FROM job_progress WHERE key = 'probe:{job_id}'") == 1


def test_a_batch_commits_without_waiting_for_the_disk(session):
    """A job's batch may be lost with its progress note in a server crash (and is then done
    again from the last note), so its COMMIT does not wait for the WAL to be flushed."""
    seen = []

    def process(rows):
        seen.append(db.session.execute(text("SHOW synchronous_commit")).scalar())

    def next_batch(after, size):
        return [n for n in range((after or 0) + 1, 5) if n <= (after or 0) + size]

    assert run_in_batches("probe:sync-commit", next_batch, process, int, SYSTEM, 2) == 4
    assert seen == ["off", "off"]
