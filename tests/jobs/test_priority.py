"""A worker yields the CPU to the web: its jobs run at CRM_JOBS_NICE, and so does the database
backend of a job's connection where the worker may renice it (a local server, run by the same
OS user or with root)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from crm_web.config import ConfigError, load_settings
from crm_web.core.db import db
from crm_web.jobs.queue import defer
from tests.jobs import probe  # noqa: F401  (registers probe_priority before the queue is built)
from tests.jobs.support import ROOT, start_worker, wait_for, worker_env

NICE = 7


@pytest.fixture
def priority_table(app_ctx):
    with db.engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE job_probe_priority (process int, backend int, nice int, uid int)")
        )
    yield
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE job_probe_priority"))


def _noted():
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT * FROM job_probe_priority")).one_or_none()


def test_a_workers_jobs_and_their_backend_run_at_the_jobs_niceness(app, priority_table):
    defer("probe_priority")
    worker = start_worker(app, sys.executable, "-m", "tests.jobs.worker_main", CRM_JOBS_NICE=NICE)
    try:
        noted = wait_for(_noted, what="the probe job")
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    # Never lowered below what the worker inherits (a suite run under `nice` keeps its own).
    assert noted.process == max(NICE, os.getpriority(os.PRIO_PROCESS, 0))
    if os.geteuid() not in (0, noted.uid):
        pytest.skip("the database server runs as another user: its backends keep their priority")
    assert noted.nice >= NICE


def test_threads_running_before_the_priority_is_lowered_are_lowered_too(app):
    """Linux keeps a niceness per thread: a thread the app started before (a pool's, a
    library's) would otherwise keep the web's priority."""
    script = (
        "import os, threading\n"
        "from crm_web import create_app\n"
        "from crm_web.jobs.priority import lower_priority\n"
        "done = threading.Event()\n"
        "thread = threading.Thread(target=done.wait)\n"
        "thread.start()\n"
        "lower_priority(create_app())\n"
        "print(os.getpriority(os.PRIO_PROCESS, thread.native_id))\n"
        "done.set()\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=worker_env(app, CRM_JOBS_NICE=NICE),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert int(ran.stdout.split()[-1]) == max(NICE, os.getpriority(os.PRIO_PROCESS, 0))


@pytest.mark.parametrize("raw", ["-1", "20"])
def test_a_niceness_out_of_range_is_refused(tmp_path, raw):
    with pytest.raises(ConfigError, match="CRM_JOBS_NICE"):
        load_settings({"CRM_ENV": "test", "CRM_JOBS_NICE": raw}, tmp_path)


def test_the_jobs_niceness_is_ten_unless_set(tmp_path):
    assert load_settings({"CRM_ENV": "test"}, tmp_path)["JOBS_NICE"] == 10
    assert load_settings({"CRM_ENV": "test", "CRM_JOBS_NICE": "0"}, tmp_path)["JOBS_NICE"] == 0
