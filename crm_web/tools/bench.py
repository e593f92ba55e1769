"""`make bench`: a million contacts, the main pages under gunicorn, p50/p95 and requests/s.

Runs on its own database (`crm_web_bench` on the embedded cluster, or CRM_BENCH_DATABASE_URL),
migrated first and seeded once (later runs reuse the rows). The load generator is threads with
http.client against 127.0.0.1 only, a bounded number of requests per page and concurrency.
Each page's throughput is also given as a ratio of a bare baseline page (one indexed query, the
same 50 rows, a minimal template) measured right beside it: on shared machines identical runs
vary up to 2x, ratios much less (DESIGN §10).

Sizes: BENCH_CONTACTS (1,000,000), BENCH_COMPANIES (100,000), BENCH_TASKS and BENCH_NOTES
(1,000,000 each, over the contacts and deals); BENCH_REQUESTS per cell (200)."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from sqlalchemy import text

DATABASE = "crm_web_bench"
EMAIL, PASSWORD = "bench@example.com", "bench-password-long"
ROOT = Path(__file__).resolve().parents[2]
# gunicorn's recommended (2 x cores) + 1 sync workers: fewer leave a core idle while a worker
# waits on PostgreSQL (which shares the machine).
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))


def bench_config() -> dict:
    url = os.environ.get("CRM_BENCH_DATABASE_URL")
    if url:
        # Tool: the load generator imports the app's code only where it builds the app.
        from crm_web.config import database_url

        return {"SQLALCHEMY_DATABASE_URI": database_url(url)}
    return {"EMBEDDED_DATABASE_NAME": DATABASE}


def serve_app():
    """The app gunicorn serves for the bench (`crm_web.tools.bench:serve_app()`)."""
    # Tool: the load generator imports the app's code only where it builds the app.
    from crm_web import create_app

    return create_app(bench_config())


def prepare(contacts: int, companies: int, tasks: int = 0, notes: int = 0) -> dict:
    """Migrate, seed up to the sizes asked for, create the bench user; return sample ids."""
    # Tool: the load generator imports the app's code only where it builds the app.
    from flask_migrate import upgrade

    from crm_web import create_app
    from crm_web.accounts.services import create_user, get_user_by_email
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db
    from crm_web.tools.demo import seed_activities, seed_demo

    app = create_app(bench_config())
    with app.app_context():
        upgrade()
        have = db.session.execute(text("SELECT count(*) FROM contacts")).scalar()
        have_companies = db.session.execute(text("SELECT count(*) FROM companies")).scalar()
        if have < contacts:
            print(
                f"seeding {contacts - have:,} contacts, "
                f"{max(0, companies - have_companies):,} companies …",
                flush=True,
            )
            started = time.monotonic()
            seed_demo(contacts - have, max(0, companies - have_companies), seed=have + 1)
            print(f"seeded in {time.monotonic() - started:.0f}s", flush=True)
        else:
            print(f"reusing {have:,} contacts and {have_companies:,} companies", flush=True)
        have_tasks = db.session.execute(text("SELECT count(*) FROM tasks")).scalar()
        have_notes = db.session.execute(text("SELECT count(*) FROM notes")).scalar()
        if have_tasks < tasks or have_notes < notes:
            print(
                f"seeding {max(0, tasks - have_tasks):,} tasks, {max(0, notes - have_notes):,} notes …"
            )
            seed_activities(max(0, tasks - have_tasks), max(0, notes - have_notes), have_tasks + 1)
        if get_user_by_email(EMAIL) is None:
            create_user(
                {"email": EMAIL, "name": "Bench", "role": "admin", "password": PASSWORD}, SYSTEM
            )
        sample = (
            db.session.execute(
                text(
                    "SELECT id, first_name, last_name, owner_id FROM contacts "
                    "WHERE last_name = 'Turing' AND archived_at IS NULL LIMIT 1"
                )
            ).first()
            or db.session.execute(
                text("SELECT id, first_name, last_name, owner_id FROM contacts LIMIT 1")
            ).first()
        )
        db.session.commit()
        total = db.session.execute(text("SELECT count(*) FROM contacts")).scalar()
    return {"contact": sample, "total": total}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, path, cookie=None, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if cookie:
        all_headers["Cookie"] = cookie
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def sign_in(port) -> str:
    """Through the real login form: its CSRF token, then the session cookie it sets."""
    response, page = request(port, "/login")
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    body = urlencode({"csrf_token": token, "email": EMAIL, "password": PASSWORD})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
    }
    response, _ = request(port, "/login", cookie, "POST", body, headers)
    if response.status != 303:
        raise SystemExit(f"bench sign-in failed: {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def measure(port, cookie, path, concurrency, count, headers=None) -> dict:
    """`count` requests of `path` from `concurrency` threads; latencies and requests/s."""
    latencies, errors, lock = [], [], threading.Lock()
    remaining = iter(range(count))

    def worker():
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            response, _ = request(port, path, cookie, headers=headers)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    errors.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    if errors:
        raise SystemExit(f"{path}: {len(errors)} failed requests (status {errors[0]})")
    return {
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "rps": count / wall,
    }


def ratio_to_baseline(port, cookie, baseline, path, headers, count) -> float:
    """The page's c=8 throughput over the baseline's, each measured right after the other, the
    median of three such pairs: a shared machine's speed drifts within a run (the baseline
    measured once, at the start, put the same page anywhere from 32 % to 52 %)."""
    ratios = []
    for _ in range(3):
        base = measure(port, cookie, baseline, 8, count)["rps"]
        ratios.append(measure(port, cookie, path, 8, count, headers)["rps"] / base)
    return statistics.median(ratios)


def pages(sample) -> list[tuple[str, str, dict | None]]:
    hx = {"HX-Request": "true"}
    full_name = quote(f"{sample.first_name} {sample.last_name}")
    return [
        ("baseline (bare 50 rows)", "/contacts/_baseline", None),
        ("contact list, first page", "/contacts/", None),
        ("contact list, last page", "/contacts/?last=1", None),
        ("sorted by updated, desc", "/contacts/?sort=updated&dir=desc", None),
        ("sorted by company", "/contacts/?sort=company", None),
        ("filtered: owner + has phone", f"/contacts/?owner={sample.owner_id}&has_phone=1", None),
        ("search 'smi' (as you type)", "/contacts/?q=smi", hx),
        (
            f"search full name ({sample.first_name} {sample.last_name})",
            f"/contacts/?q={full_name}",
            hx,
        ),
        ("contact record page", f"/contacts/{sample.id}", None),
        ("company list, first page", "/companies/", None),
        ("company list by owner", "/companies/?sort=owner", None),
        ("my tasks, first page", "/tasks/?assignee=anyone", None),
        ("home", "/", None),
    ]


def main() -> None:
    contacts = int(os.environ.get("BENCH_CONTACTS", 1_000_000))
    companies = int(os.environ.get("BENCH_COMPANIES", 100_000))
    count = int(os.environ.get("BENCH_REQUESTS", 200))
    tasks = int(os.environ.get("BENCH_TASKS", 1_000_000))
    notes = int(os.environ.get("BENCH_NOTES", 1_000_000))
    info = prepare(contacts, companies, tasks, notes)
    port = free_port()
    env = {
        **os.environ,
        "CRM_ENV": "production",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "crm_web.tools.bench:serve_app()",
        ],
        cwd=ROOT,
        env=env,
        # The request log (a JSON line a request, as in production) goes to a file, not the
        # terminal the figures are printed on.
        stderr=(ROOT / "instance" / "bench-server.log").open("w"),
    )
    try:
        for _ in range(300):
            try:
                request(port, "/healthz")
                break
            except OSError:
                time.sleep(0.1)  # gunicorn is still binding: poll its port
        cookie = sign_in(port)
        print(
            f"\n{info['total']:,} contacts · gunicorn {WORKERS} workers · {count} requests per cell\n"
        )
        header = (
            "| page | c=1 p50 ms | c=1 p95 ms | c=1 req/s | c=8 p50 ms | c=8 p95 ms "
            "| c=8 req/s | vs baseline (c=8) |"
        )
        print(header)
        print("|" + "---|" * 8)
        measured = pages(info["contact"])
        baseline = measured[0][1]
        for name, path, headers in measured:
            for _ in range(10):  # warm caches and connections
                request(port, path, cookie, headers=headers)
            one = measure(port, cookie, path, 1, count, headers)
            eight = measure(port, cookie, path, 8, count * 2, headers)
            print(
                f"| {name} | {one['p50']:.1f} | {one['p95']:.1f} | {one['rps']:.0f} | "
                f"{eight['p50']:.1f} | {eight['p95']:.1f} | {eight['rps']:.0f} | "
                f"{ratio_to_baseline(port, cookie, baseline, path, headers, count):.0%} |",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
