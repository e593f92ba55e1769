"""`make bench-import`: how fast the batch path creates records, on the bench database
(crm_web/tools/bench.py: `crm_web_bench` on the embedded cluster, seeded to BENCH_CONTACTS).

The app is served by gunicorn, as `make bench` serves it (crm_web/tools/bench.py).

1. Export: /exports/contacts.csv of every contact, through the app (BENCH_EXPORT=0 skips it):
   rows/s, CPU a row (the gunicorn workers' and the database's backends'), and the workers'
   peak memory (VmHWM) before and after.
2. A contacts CSV of BENCH_IMPORT_ROWS rows (100,000) and 10 columns (two emails, two phones,
   company, job title, city, owner-free), 2 % bad rows, imported as a user's import is:
   uploaded through the import form (the web stages it: COPY into the staging table), then the
   import job (crm_web/imports/jobs.py) in a process of its own, as a worker runs it (at
   CRM_JOBS_NICE, its backends too: CRM_JOBS_NICE=0 measures the job at the web's priority).
   Beside it, the yardstick the issue names: a plain COPY of the same file into an unindexed
   table. The contact list's p95 at concurrency 1 (BENCH_LIST_REQUESTS requests, 200) idle,
   while the job runs, and idle again after it; the web worker's CPU and its wait for a CPU a
   request; the peak memory of the web's workers and of the job's process.
3. API bulk: BENCH_BULK_ITEMS (10,000) contacts as one request's items, made by the bulk job.

Prints rows/s and CPU seconds (the app's processes plus the database's backends, from /proc),
and the load average: on a shared machine rows/s follows the load, CPU per row much less."""

from __future__ import annotations

import contextlib
import csv
import http.client
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text

from crm_web import create_app
from crm_web.accounts.services import get_user_by_email
from crm_web.api import bulk
from crm_web.api.models import BulkItem, BulkJob
from crm_web.core.db import db, transaction
from crm_web.imports import jobs, services
from crm_web.jobs.priority import lower_priority
from crm_web.tools.bench import (
    EMAIL,
    PASSWORD,
    Cookies,
    bench_config,
    cpu_seconds,
    free_port,
    prepare,
    request,
    sign_in,
    start_server,
    wait_for,
)
from crm_web.tools.bench import (
    measure as measure_page,
)

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
BULK = int(os.environ.get("BENCH_BULK_ITEMS", 10_000))
BATCH = int(os.environ.get("CRM_IMPORT_BATCH_ROWS", 2000))
EXPORT = os.environ.get("BENCH_EXPORT", "1") != "0"
LIST_REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", 200))
HEADER = [
    "First Name", "Last Name", "E-mail Address", "Email 2", "Mobile Phone", "Business Phone",
    "Company", "Job Title", "City", "Notes",
]  # fmt: skip
MAPPING = [
    "first_name", "last_name", "emails:1", "emails:2", "phones:1", "phones:2", "company",
    "job_title", "", "",
]  # fmt: skip


def write_csv(path: Path, rows: int, run: str, base: int) -> int:
    """Realistic rows, every 50th bad (an email without @); returns how many are bad."""
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            email = f"person{n}.{run}@bench-import.example"
            if n % 50 == 7:
                email, bad = f"person{n} at nowhere", bad + 1
            writer.writerow(
                [
                    f"Given{n}",
                    f"Family{n % 5000}",
                    email,
                    f"p{n}.{run}@home.example" if n % 3 == 0 else "",
                    f"(415) {200 + (base + n // 10000) % 800:03d}-{n % 10000:04d}",
                    f"+44 20 {7000 + (base + n // 10000) % 1000:04d} {n % 10000:04d}"
                    if n % 4 == 0
                    else "",
                    f"Bench Firm {n % 2000} {run}",
                    "Account Executive",
                    "Springfield",
                    "met at the fair, wants a call back",
                ]
            )
    return bad


def process_cpu(database: str) -> dict[int, float]:
    """{pid: CPU seconds} of this process (where the job runs) and the database's backends."""
    result = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int(entry.name) == os.getpid() or f" {database} " in (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                ):
                    result[int(entry.name)] = cpu_seconds({int(entry.name)}, "-")
    return result


def measure(label: str, rows: int, database: str, action, app_cpu=None) -> None:
    """`action` timed; CPU of this process (or what `app_cpu()` gives, called after it) and
    of the database's backends."""
    load = open("/proc/loadavg").read().split()[0]  # noqa: SIM115, PTH123
    before, started = process_cpu(database), time.monotonic()
    action()
    seconds, after = time.monotonic() - started, process_cpu(database)
    # Per process: a backend that closed during the run is not subtracted from the total.
    used = sum(ticks - before.get(pid, 0.0) for pid, ticks in after.items())
    app = after.get(os.getpid(), 0.0) - before.get(os.getpid(), 0.0)
    if app_cpu is not None:
        extra = app_cpu()
        used, app = used - app + extra, extra
    print(
        f"{label:<44} {rows:>9,} rows {seconds:7.1f} s {rows / seconds:9,.0f} rows/s "
        f"CPU {used:6.1f} s ({1e6 * used / rows:5.0f} µs/row: app {1e6 * app / rows:4.0f}, "
        f"PostgreSQL {1e6 * (used - app) / rows:4.0f})  load {load}",
        flush=True,
    )


def peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB; 0 once it has ended."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def web_workers(server) -> list[int]:
    """The gunicorn server's worker processes."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == server.pid:
                found.append(int(entry.name))
    return found


def run_queue_wait(server) -> float:
    """Seconds the web's workers have waited for a CPU so far (runnable, not running: the 2nd
    field of /proc/<pid>/schedstat), the direct measure of how much a job crowds them out."""
    waited = 0
    for pid in web_workers(server):
        with contextlib.suppress(OSError):
            waited += int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
    return waited / 1e9


def web_peak(server) -> str:
    return f"{max(peak_mb(pid) for pid in web_workers(server)):.0f} MB"


def export_all(port: int, cookies: Cookies, server, database: str, rows: int) -> None:
    """/exports/contacts.csv, every live contact, read as a browser downloads it."""
    print(f"  web workers' peak memory before: {web_peak(server)}", flush=True)
    load = open("/proc/loadavg").read().split()[0]  # noqa: SIM115, PTH123
    app_before = cpu_seconds({server.pid}, "-")
    all_before = cpu_seconds({server.pid}, database)
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", "/exports/contacts.csv", headers={"Cookie": cookies.header()})
    response = connection.getresponse()
    assert response.status == 200, response.status
    size = 0
    while chunk := response.read(1 << 20):
        size += len(chunk)
    connection.close()
    seconds = time.monotonic() - started
    app = cpu_seconds({server.pid}, "-") - app_before
    used = cpu_seconds({server.pid}, database) - all_before
    print(
        f"{'export /exports/contacts.csv':<44} {rows:>9,} rows {seconds:7.1f} s "
        f"{rows / seconds:9,.0f} rows/s CPU {used:6.1f} s ({1e6 * used / rows:5.1f} µs/row: "
        f"app {1e6 * app / rows:4.1f}, PostgreSQL {1e6 * (used - app) / rows:4.1f})  "
        f"load {load}\n  {size / 1e6:,.0f} MB of CSV; web workers' peak memory after: "
        f"{web_peak(server)}",
        flush=True,
    )


def upload(port: int, cookies: Cookies, path: Path) -> int:
    """The file posted to the import form (multipart, CSRF token and all), as a browser does;
    the staged import's id."""
    # The form's CSRF token lives in the session: `cookies` keep what this page sets.
    _, page = request(port, "/imports/new?kind=contacts", cookies)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    boundary = secrets.token_hex(16)
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrf_token", token), ("kind", "contacts"))
    )
    head = (
        f'{fields}--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", "/imports")
    for name, value in (
        ("Cookie", cookies.header()),
        ("Origin", f"http://127.0.0.1:{port}"),
        ("Content-Type", f"multipart/form-data; boundary={boundary}"),
        ("Content-Length", str(len(head) + path.stat().st_size + len(tail))),
    ):
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(head)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 303, response.status
    return int(re.search(r"/imports/(\d+)/map", response.getheader("Location")).group(1))


def run_job(import_id: int) -> None:
    """`python -m crm_web.tools.bench_import job ID`: the import job, as a worker runs it; prints
    its CPU seconds and peak memory (a JSON line)."""
    app = create_app({**bench_config(), "IMPORT_BATCH_ROWS": BATCH})
    lower_priority(app)  # as run_worker does (CRM_JOBS_NICE)
    started = time.process_time()  # the job's, not the start-up's
    with app.app_context():
        jobs.import_file(None, import_id)
    cpu = time.process_time() - started
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    print(json.dumps({"cpu": cpu, "peak_mb": peak_mb(os.getpid()), "nice": nice}), flush=True)


def import_file(path, actor, database, run, phone_base, port, cookies, server) -> None:
    """The CSV imported as a user's import is (upload, then the job), beside a plain COPY."""
    bad = write_csv(path, ROWS, run, phone_base)

    def plain_copy():
        connection = db.session.connection().connection.driver_connection
        with connection.cursor() as cursor, path.open("rb") as handle:
            cursor.execute("SET LOCAL statement_timeout = 0")  # a million rows take > 10 s
            cursor.execute("CREATE TEMP TABLE plain_copy (" + ", ".join(
                f"c{i} text" for i in range(len(HEADER))) + ")")  # fmt: skip
            with cursor.copy("COPY plain_copy FROM STDIN (FORMAT csv, HEADER)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        db.session.rollback()

    measure("plain COPY into an unindexed table", ROWS, database, plain_copy)
    record = {}
    app_before = cpu_seconds({server.pid}, "-")
    load = open("/proc/loadavg").read().split()[0]  # noqa: SIM115, PTH123
    measure("upload through the web (COPY into import_rows)", ROWS, database,
            lambda: record.update(id=upload(port, cookies, path)),
            app_cpu=lambda: cpu_seconds({server.pid}, "-") - app_before)  # fmt: skip
    services.save_mapping(record["id"], MAPPING, actor)
    services.start_import(record["id"], actor)
    db.session.remove()

    for _ in range(20):  # every worker warm
        request(port, "/contacts/", cookies)

    def web_cpu():  # the web workers' alone
        return cpu_seconds({server.pid}, "-")

    def web_wait():
        return run_queue_wait(server)

    idle = measure_page(port, cookies, "/contacts/", 1, LIST_REQUESTS, cpu=web_cpu)
    idle_wait = measure_page(port, cookies, "/contacts/", 1, LIST_REQUESTS, cpu=web_wait)
    latencies = []
    job = subprocess.Popen(
        [sys.executable, "-m", "crm_web.tools.bench_import", "job", str(record["id"])],
        stdout=subprocess.PIPE,
        text=True,
    )

    def list_while_importing():
        while job.poll() is None:
            started = time.perf_counter()
            response, _ = request(port, "/contacts/", cookies)
            assert response.status == 200, response.status
            latencies.append(time.perf_counter() - started)

    before, started = process_cpu(database), time.monotonic()
    web_before, wait_before = web_cpu(), web_wait()
    lister = threading.Thread(target=list_while_importing)
    lister.start()
    output = job.communicate()[0]
    lister.join()
    seconds, after = time.monotonic() - started, process_cpu(database)
    web_during = (web_cpu() - web_before) * 1000 / max(1, len(latencies))
    wait_during = (web_wait() - wait_before) * 1000 / max(1, len(latencies))
    # The ambient load drifts over a long import: the idle list again, after it.
    idle_after = measure_page(port, cookies, "/contacts/", 1, LIST_REQUESTS)
    figures = json.loads(output.strip().splitlines()[-1])
    postgres = sum(
        ticks - before.get(pid, 0.0) for pid, ticks in after.items() if pid != os.getpid()
    )
    used = figures["cpu"] + postgres
    print(
        f"{'import job (worker process)':<44} {ROWS:>9,} rows {seconds:7.1f} s "
        f"{ROWS / seconds:9,.0f} rows/s CPU {used:6.1f} s ({1e6 * used / ROWS:5.0f} µs/row: "
        f"app {1e6 * figures['cpu'] / ROWS:4.0f}, PostgreSQL {1e6 * postgres / ROWS:4.0f})  "
        f"load {load}",
        flush=True,
    )
    latencies.sort()
    during = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else float("nan")
    print(
        f"  contact list p95 at c=1: idle {idle['p95']:.1f} ms, {idle_wait['p95']:.1f} ms "
        f"({2 * LIST_REQUESTS} requests), during the import {during:.1f} ms "
        f"({len(latencies)} requests), idle after it {idle_after['p95']:.1f} ms: "
        f"{during / idle['p95']:.2f}x the first idle; the job at nice {figures['nice']}\n"
        f"  a list request's web worker: CPU {idle['cpu_ms']:.1f} ms idle, {web_during:.1f} "
        f"during; waiting for a CPU {idle_wait['cpu_ms']:.1f} ms idle, {wait_during:.1f} during\n"
        f"  peak memory: import job's process {figures['peak_mb']:.0f} MB, "
        f"web workers {web_peak(server)}",
        flush=True,
    )
    done = services.get_import(record["id"], actor)
    print(f"  created {done.created:,}, skipped {done.skipped:,}, refused {done.refused:,} "
          f"(bad rows written: {bad:,})", flush=True)  # fmt: skip


def main() -> None:
    if sys.argv[1:2] == ["job"]:
        run_job(int(sys.argv[2]))
        return
    sizes = [int(os.environ.get(k, d)) for k, d in (("BENCH_CONTACTS", 1_000_000),
             ("BENCH_COMPANIES", 100_000))]  # fmt: skip
    info = prepare(*sizes, deals=0)
    database = info["database"]
    app = create_app({**bench_config(), "IMPORT_BATCH_ROWS": BATCH})
    run = uuid.uuid4().hex[:6]
    phone_base = random.randrange(1000, 7000)  # noqa: S311 - new numbers each run, not secrets
    port = free_port()
    # A long download outlives gunicorn's default 30 s timeout for a sync worker.
    env = {**os.environ, "CRM_ENV": "production", "GUNICORN_CMD_ARGS": "--timeout 900",
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)}  # fmt: skip
    server = start_server("crm_web.tools.bench:serve_app()", port, env, "bench-import-server.log")
    try:
        wait_for(port)
        cookies = sign_in(port)
        with app.app_context(), tempfile.TemporaryDirectory() as folder:
            actor = get_user_by_email(EMAIL).as_actor()
            assert PASSWORD
            print(f"{info['total']:,} contacts in the bench database; batches of {BATCH}",
                  flush=True)  # fmt: skip
            if EXPORT:
                live = db.session.execute(
                    text("SELECT count(*) FROM contacts WHERE archived_at IS NULL")
                ).scalar()
                db.session.remove()
                export_all(port, cookies, server, database, live)
            if ROWS:  # BENCH_IMPORT_ROWS=0: the API bulk job alone
                import_file(Path(folder) / "contacts.csv", actor, database, run, phone_base,
                            port, cookies, server)  # fmt: skip
            if BULK:  # BENCH_BULK_ITEMS=0: no API bulk job (an empty one fails to insert)
                bulk_job(actor, database, run, phone_base)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def bulk_job(actor, database: str, run: str, phone_base: int) -> None:
    """BULK contacts as one API request's items, made by the bulk job in this process."""
    items = [
        {"first_name": f"Bulk{n}", "last_name": f"Item{n % 997}",
         "emails": [f"bulk{n}.{run}@bench-bulk.example"],
         "phones": [f"+1 628 {200 + (phone_base + n // 10000) % 800:03d} {n % 10000:04d}"]}
        for n in range(BULK)
    ]  # fmt: skip
    with transaction(actor) as session:
        job = BulkJob(resource="contacts", token_id=uuid.uuid4(), total=BULK,
                      actor={"id": actor.id, "role": actor.role, "name": actor.name,
                             "via": "api:bench"})  # fmt: skip
        session.add(job)
        session.flush()
        session.execute(insert(BulkItem), [
            {"job_id": job.id, "index": i, "payload": item} for i, item in enumerate(items)
        ])  # fmt: skip
    job_id = str(job.id)
    db.session.remove()
    measure("API bulk job (contacts)", BULK, database,
            lambda: bulk.run_bulk(None, job_id))  # fmt: skip
    made = db.session.execute(
        text("SELECT count(*) FROM api_bulk_items WHERE job_id = :j AND record_id IS NOT NULL"),
        {"j": job_id},
    ).scalar()
    print(f"  created {made:,} of {BULK:,}", flush=True)


if __name__ == "__main__":
    main()
