"""`python -m tests.jobs.worker_main`: `crm worker` with the test probe task registered too."""

from crm_web import create_app
from crm_web.jobs.queue import run_worker
from tests.jobs import probe  # noqa: F401  (registers probe_batches)

if __name__ == "__main__":
    run_worker(create_app())
