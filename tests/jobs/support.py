"""Real workers for the job tests: processes on the test database, as production runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(app, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_RETENTION_")}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CRM_ENV="test",
        CRM_JOBS_STALLED_SECONDS="3",
        # At nice 10 a worker gets a tenth of a core the suite's other processes keep busy: on a
        # loaded machine the tests would wait out their timeouts (test_priority sets its own).
        CRM_JOBS_NICE="0",
    )
    env.update({key: str(value) for key, value in settings.items()})
    return env


def start_worker(app, *command, **settings) -> subprocess.Popen:
    """A worker process: `flask --app crm_web crm worker …` unless `command` says otherwise."""
    argv = list(command) or [sys.executable, "-m", "flask", "--app", "crm_web", "crm", "worker"]
    return subprocess.Popen(argv, cwd=ROOT, env=worker_env(app, **settings))


def run_worker_once(app, **settings) -> None:
    """Run the queued jobs in a worker process that stops when the queue is empty."""
    argv = [sys.executable, "-m", "flask", "--app", "crm_web", "crm", "worker", "--once"]
    subprocess.run(argv, cwd=ROOT, env=worker_env(app, **settings), check=True, timeout=120)


def wait_for(condition, timeout: float = 90.0, what: str = "condition"):
    """Poll `condition` until it returns something truthy (the database is the only signal a
    worker process gives)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
