"""The job queue: procrastinate on the app's own PostgreSQL database.

Tasks are registered here with `@job(...)` by the modules that own them, and bound to each Flask
app's database when it first needs its queue. A task runs in the worker inside an app context
(so services, the session and the audit hook work as in a request); its writes name the actor
the task gives `transaction()`: the system user, or whoever asked for the job."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import procrastinate
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from crm_web.core.db import db
from crm_web.jobs.priority import lower_priority

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable
    options: dict
    cron: str | None


# Every task of the product, by name: the `crm worker` of any app runs all of them.
JOBS: dict[str, Job] = {}
_opening = threading.Lock()


def job(name: str, *, cron: str | None = None, **options):
    """Register a sync task `name` (procrastinate task options, e.g. `queueing_lock`); with
    `cron`, deferred on that schedule by the running workers too. The function gets the job's
    context first (`context.job.id` survives a retry: a good key for jobs/batches.py)."""

    def register(function: Callable) -> Callable:
        JOBS[name] = Job(name, function, options, cron)
        return function

    return register


def conninfo(flask_app: Flask) -> str:
    """The libpq form of the app's SQLAlchemy URL (the embedded cluster's socket included)."""
    url = make_url(flask_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queue_of(flask_app: Flask) -> procrastinate.App:
    """This app's procrastinate App, made on first use with every task registered by then."""
    queue = flask_app.extensions.get("jobs")
    if queue is None:
        queue = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=conninfo(flask_app), min_size=1)
        )
        for entry in JOBS.values():
            task = queue.task(name=entry.name, pass_context=True, **entry.options)(entry.function)
            if entry.cron:
                queue.periodic(cron=entry.cron, periodic_id=entry.name)(task)
        flask_app.extensions["jobs"] = queue
    return queue


def defer(name: str, **arguments) -> int | None:
    """Queue the task `name` with keyword `arguments` (JSON values); returns the job id, or None
    when a task with a queueing lock is already waiting (queued either way, as the caller asked)."""
    flask_app = current_app._get_current_object()
    queue = queue_of(flask_app)
    with _opening:
        if not flask_app.extensions.get("jobs_open"):
            # The web's side of the queue: a small pool of its own, opened on the first defer.
            queue.open()
            flask_app.extensions["jobs_open"] = True
    try:
        return queue.configure_task(name).defer(**arguments)
    except procrastinate.exceptions.AlreadyEnqueued:
        return None


def _in_app_context(flask_app: Flask):
    def middleware(call_next, context, worker):
        # Runs in the task's own thread: a fresh app context, so a fresh session per job.
        with flask_app.app_context():
            try:
                return call_next()
            finally:
                db.session.remove()

    return middleware


async def _retry_stalled_jobs(queue: procrastinate.App, stalled_after: float, every: float):
    """Put back in the queue the jobs of workers that stopped beating (killed, machine lost):
    the job runs again from the start, and a batched job from its last committed batch."""
    while True:
        for stalled in await queue.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=stalled_after
        ):
            try:
                await queue.job_manager.retry_job(stalled)
                _log.warning(
                    "retrying job %s (%s): its worker stopped", stalled.id, stalled.task_name
                )
            except Exception:  # another worker retried it first
                _log.info("job %s was already retried", stalled.id, exc_info=True)
        await asyncio.sleep(every)


async def _work(queue: procrastinate.App, options: dict, stalled_after: float) -> None:
    async with queue.open_async():
        watcher = asyncio.create_task(_retry_stalled_jobs(queue, stalled_after, stalled_after / 3))
        try:
            await queue.run_worker_async(**options)
        finally:
            watcher.cancel()


def run_worker(flask_app: Flask, *, once: bool = False, concurrency: int = 1, queues=None):
    """Run a worker until Ctrl-C / SIGTERM (or, with `once`, until the queue is empty)."""
    lower_priority(flask_app)  # the web's requests before the jobs' work
    stalled_after = flask_app.config["JOBS_STALLED_SECONDS"]
    options = {
        "wait": not once,
        "concurrency": concurrency,
        "queues": queues or None,
        "task_middleware": [_in_app_context(flask_app)],
        "update_heartbeat_interval": stalled_after / 3,
        "stalled_worker_timeout": stalled_after,
        "delete_jobs": "successful",
    }
    asyncio.run(_work(queue_of(flask_app), options, stalled_after))
