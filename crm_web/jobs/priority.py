"""Background jobs yield the CPU to the web: a job process runs at a lower OS priority (a higher
niceness, JOBS_NICE), and so do the PostgreSQL backends serving its connections when the server
runs on this machine and we may renice them (the same OS user, or root). On a 2-core machine an
import's Python process and its backend take both cores; niced, they take what the web leaves.

Priority inversion stays bounded: the scheduler never starves a niced process (nice 10 still
gets about a tenth of a contended core), a job's transactions are one batch long, and a web
request waiting on the job's lock uses no CPU itself, so the job's backend runs meanwhile."""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from crm_web.core.db import db

_log = logging.getLogger(__name__)


def lower_priority(flask_app: Flask) -> None:
    """Run this process, and the backends of the app's database connections, at the app's
    JOBS_NICE (0: as they are). Call once in a job process, before its jobs run."""
    niceness = flask_app.config["JOBS_NICE"]
    if not niceness or flask_app.extensions.get("jobs_nice"):
        return
    # Niceness is per thread on Linux: every thread running now (threads started later inherit).
    tasks = Path("/proc/self/task")
    threads = [int(task.name) for task in tasks.iterdir()] if tasks.exists() else [0]
    for thread in threads:
        renice(thread, niceness)

    def renice_backend(dbapi_connection, connection_record, connection_proxy) -> None:
        # At checkout, not connect: connections pooled before this call count too. Once each.
        if "reniced" not in connection_record.info:
            connection_record.info["reniced"] = True
            pid = local_backend_pid(dbapi_connection)
            if pid is not None:
                renice(pid, niceness)

    with flask_app.app_context():
        event.listen(db.engine.pool, "checkout", renice_backend)
    flask_app.extensions["jobs_nice"] = niceness


def renice(pid: int, niceness: int) -> bool:
    """Raise the niceness of `pid` (a process, or a thread: Linux's thread id) to at least
    `niceness`, never lower it (that needs privileges and would undo an operator's own `nice`);
    False where the OS refuses."""
    try:
        if os.getpriority(os.PRIO_PROCESS, pid) < niceness:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
    except OSError as error:  # PermissionError: another user's server; ProcessLookupError
        _log.debug("could not renice process %s: %s", pid, error)
        return False
    return True


def local_backend_pid(dbapi_connection) -> int | None:
    """The pid of the connection's backend when that backend is a process on this machine (a
    Unix socket or loopback connection, to a process that is a PostgreSQL backend): a remote
    server's pid may name an unrelated local process."""
    info = dbapi_connection.info  # psycopg's: backend_pid costs no round trip
    if not info.host.startswith("/") and info.host != "localhost":
        try:
            if not ipaddress.ip_address(info.host).is_loopback:
                return None
        except ValueError:  # a host name: another machine
            return None
    try:
        command = Path(f"/proc/{info.backend_pid}/cmdline").read_bytes()
    except OSError:  # no /proc (not Linux), or another machine's pid after all
        return None
    return info.backend_pid if command.startswith(b"postgres") else None
