"""`make bench-import`: how fast the batch path creates records, on the bench database
(crm_web/tools/bench.py: `crm_web_bench` on the embedded cluster, seeded to BENCH_CONTACTS).

1. A contacts CSV of BENCH_IMPORT_ROWS rows (100,000) and 10 columns (two emails, two phones,
   company, job title, city, owner-free), 2 % bad rows, imported as a user's import is:
   stage_upload (COPY into the staging table), then the import job (crm_web/imports/jobs.py)
   in this process, batch by batch. Beside it, the yardstick the issue names: a plain COPY of
   the same file into an unindexed table.
2. API bulk: BENCH_BULK_ITEMS (10,000) contacts as one request's items, made by the bulk job.

Prints rows/s and CPU seconds (this process plus the database's backends, from /proc), and the
load average: on a shared machine rows/s follows the load, CPU per row much less."""

from __future__ import annotations

import contextlib
import csv
import os
import random
import tempfile
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
from crm_web.tools.bench import EMAIL, PASSWORD, bench_config, cpu_seconds, prepare

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
BULK = int(os.environ.get("BENCH_BULK_ITEMS", 10_000))
BATCH = int(os.environ.get("CRM_IMPORT_BATCH_ROWS", 2000))
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


def measure(label: str, rows: int, database: str, action) -> None:
    load = open("/proc/loadavg").read().split()[0]  # noqa: SIM115, PTH123
    before, started = process_cpu(database), time.monotonic()
    action()
    seconds, after = time.monotonic() - started, process_cpu(database)
    # Per process: a backend that closed during the run is not subtracted from the total.
    used = sum(ticks - before.get(pid, 0.0) for pid, ticks in after.items())
    app = after.get(os.getpid(), 0.0) - before.get(os.getpid(), 0.0)
    print(
        f"{label:<44} {rows:>9,} rows {seconds:7.1f} s {rows / seconds:9,.0f} rows/s "
        f"CPU {used:6.1f} s ({1e6 * used / rows:5.0f} µs/row: app {1e6 * app / rows:4.0f}, "
        f"PostgreSQL {1e6 * (used - app) / rows:4.0f})  load {load}",
        flush=True,
    )


def import_file(path: Path, actor, database: str, run: str, phone_base: int) -> None:
    """The CSV imported as a user's import is (upload, then the job), beside a plain COPY."""
    bad = write_csv(path, ROWS, run, phone_base)

    def plain_copy():
        connection = db.session.connection().connection.driver_connection
        with connection.cursor() as cursor, path.open("rb") as handle:
            cursor.execute("CREATE TEMP TABLE plain_copy (" + ", ".join(
                f"c{i} text" for i in range(len(HEADER))) + ")")  # fmt: skip
            with cursor.copy("COPY plain_copy FROM STDIN (FORMAT csv, HEADER)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        db.session.rollback()

    measure("plain COPY into an unindexed table", ROWS, database, plain_copy)
    record = {}

    def upload():
        record["id"] = services.stage_upload("contacts", path.name, path, actor).id

    measure("upload (read, COPY into import_rows)", ROWS, database, upload)
    services.save_mapping(record["id"], MAPPING, actor)
    services.start_import(record["id"], actor)
    db.session.remove()
    measure("import job (check, COPY, INSERT … SELECT)", ROWS, database,
            lambda: jobs.import_file(None, record["id"]))  # fmt: skip
    done = services.get_import(record["id"], actor)
    print(f"  created {done.created:,}, skipped {done.skipped:,}, refused {done.refused:,} "
          f"(bad rows written: {bad:,})", flush=True)  # fmt: skip


def main() -> None:
    sizes = [int(os.environ.get(k, d)) for k, d in (("BENCH_CONTACTS", 1_000_000),
             ("BENCH_COMPANIES", 100_000))]  # fmt: skip
    info = prepare(*sizes, deals=0)
    database = info["database"]
    app = create_app({**bench_config(), "IMPORT_BATCH_ROWS": BATCH})
    run = uuid.uuid4().hex[:6]
    phone_base = random.randrange(1000, 7000)  # noqa: S311 - new numbers each run, not secrets
    with app.app_context(), tempfile.TemporaryDirectory() as folder:
        actor = get_user_by_email(EMAIL).as_actor()
        assert PASSWORD
        print(f"{info['total']:,} contacts in the bench database; batches of {BATCH}", flush=True)
        if ROWS:  # BENCH_IMPORT_ROWS=0: the API bulk job alone
            import_file(Path(folder) / "contacts.csv", actor, database, run, phone_base)
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
