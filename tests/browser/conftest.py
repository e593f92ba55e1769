"""Real-browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright through
Debian's Chromium. Data is committed for real (the server is another thread), so each test
starts from empty tables. Emptying them waits until the server handles no request, and holds new
ones back meanwhile (ServerRequests): emptying the tables beside a request still reading could deadlock.

A missing Chromium is an error, never a skip: install Debian's `chromium` package."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect
from psycopg import errors as pg_errors
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from tests.support import TEST_PASSWORD, make_user


def pytest_collection_modifyitems(items):
    """Every test in this folder drives the browser: marked `browser` here, not file by file."""
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# How long clean-up waits for the server to finish a request, and its deletes for their locks
# (under the app's 10 s statement timeout): a test that leaves either stuck fails, never hangs.
IDLE_TIMEOUT_S = 30
LOCK_TIMEOUT = "5s"
# Playwright's 5 s default for an expectation is thin on a 2-core machine running the suite on
# two workers: the API reference's Swagger UI once took longer to draw its first heading. A
# passing expectation returns as soon as it holds, so this costs nothing unless a test fails.
expect.set_options(timeout=15_000)


class _Response:
    """A response body that reports once when the server is done with it: used up, closed, or
    dropped. Not only on close(): werkzeug skips close() when reading the rest of a dropped
    connection fails, and a count that never came down would stall every clean-up after."""

    def __init__(self, body, done):
        self.body, self.done, self.finished = body, done, False

    def __iter__(self):
        try:
            yield from self.body
        finally:
            self.close()

    def close(self):
        if self.finished:
            return
        self.finished = True
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()

    def __del__(self):
        self.close()


class ServerRequests:
    """WSGI middleware around the live server's app: knows which requests are being handled
    (until the server is done with the response) and can hold new ones back while the tables
    are emptied."""

    def __init__(self, app):
        self.app = app
        self.handling: list[str] = []
        self.held = False
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        path = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        with self.changed:
            self.changed.wait_for(lambda: not self.held)
            self.handling.append(path)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._done(path)
            raise
        return _Response(body, lambda: self._done(path))

    def _done(self, path):
        with self.changed:
            self.handling.remove(path)
            self.changed.notify_all()

    @contextmanager
    def held_back(self):
        """Wait until no request is being handled, then hold new ones until the block ends."""
        with self.changed:
            if not self.changed.wait_for(lambda: not self.handling, IDLE_TIMEOUT_S):
                raise RuntimeError(
                    f"the live server still handles {self.handling} after {IDLE_TIMEOUT_S}s"
                )
            self.held = True
        try:
            yield
        finally:
            with self.changed:
                self.held = False
                self.changed.notify_all()


@pytest.fixture(scope="session")
def server_requests(app):
    return ServerRequests(app)


@pytest.fixture(scope="session")
def live_server(server_requests):
    server = make_server("127.0.0.1", 0, server_requests, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
            "or set CRM_CHROMIUM to its path. Browser tests are never skipped.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _empty_tables(app, server_requests) -> None:
    """Empty every table, the pipeline stages restored to the migration's defaults, while the
    live server handles no request. Whoever else still holds a lock (a test's own session left
    open) makes the deletes give up after LOCK_TIMEOUT: they are tried once more, then the test
    fails naming the sessions in the way."""
    for attempt in (1, 2):
        try:
            with server_requests.held_back():
                _empty(app)
            return
        except OperationalError as exc:
            if not isinstance(exc.orig, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected):
                raise
            if attempt == 2:
                raise RuntimeError(f"emptying the tables is blocked by {_others(app)}") from exc


# Tables written by the others' triggers as their rows go (deal totals, duplicate rechecks).
TRIGGER_FED = ("deal_stage_totals", "duplicate_rechecks")


def _empty(app) -> None:
    """DELETE, not TRUNCATE: on tables of a few rows, TRUNCATE's new files for every table and
    index cost ~200 ms, twice a browser test (DELETE: ~25 ms). Children before their parents,
    the tables the triggers write to last."""
    from crm_web.core.db import db

    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        tables = [t for t in tables if t not in TRIGGER_FED] + list(TRIGGER_FED)
        try:
            with db.engine.begin() as conn:
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                if not hasattr(app, "_default_stages"):
                    stages = conn.execute(text("SELECT * FROM pipeline_stages")).mappings().all()
                    app._default_stages = [dict(s) for s in stages]
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
                for stage in app._default_stages:
                    columns = ", ".join(stage)
                    values = ", ".join(f":{c}" for c in stage)
                    conn.execute(
                        text(f"INSERT INTO pipeline_stages ({columns}) VALUES ({values})"), stage
                    )
        finally:
            db.session.remove()


def _others(app) -> list[tuple]:
    """The other sessions on the database that are inside a transaction: what the deletes waited on."""
    from crm_web.core.db import db

    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT pid, state, left(query, 120) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND xact_start IS NOT NULL"
            )
        ).all()


@pytest.fixture
def clean_db(app, chromium, server_requests):
    """Empty tables before the test, and again after it, so the committed data of a browser
    test never leaks into the rolled-back tests that may run next. Afterwards, every browser
    context still open (a test that failed before closing its own) is closed first, so no page
    sends requests while the tables are emptied."""
    _empty_tables(app, server_requests)
    yield
    for context in list(chromium.contexts):
        context.close()
    _empty_tables(app, server_requests)


class PageProblems:
    """Console errors and CSP violations seen by a page; a test fails if any appear."""

    def __init__(self, page):
        self.messages: list[str] = []
        self.allowed_statuses: set[int] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"page error: {exc}"))

    # Chromium logs every 4xx response; 422 (invalid input, shown beside the field) and 409
    # (the conflict view) are answers the design asks for (DESIGN §5, §6), not problems.
    EXPECTED = ("status of 422 ", "status of 409 ")

    def _console(self, message):
        if message.type == "error":
            text = message.text
            if text.startswith("Failed to load resource") and any(
                code in text
                for code in (*self.EXPECTED, *(f"status of {s} " for s in self.allowed_statuses))
            ):
                return
            # htmx's own report of the same refused request (htmx:responseError).
            if any(
                text.startswith(f"Response Status Error Code {s} ") for s in self.allowed_statuses
            ):
                return
            self.messages.append(f"console error: {text}")


@pytest.fixture
def page(chromium, live_server, clean_db):
    """A fresh browser context per test; fails the test on any console error or CSP violation."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = PageProblems(page)
    page.crm_problems = problems
    yield page
    context.close()
    assert problems.messages == [], "\n".join(problems.messages)


def expect_error_status(page, *statuses: int) -> None:
    """This test shows error pages on purpose (a 404, a refused post): Chromium logs each one's
    status as a console error, which is then not a problem. CSP violations still are."""
    page.crm_problems.allowed_statuses.update(statuses)


def screenshot(page, name: str) -> Path:
    """Keep a full-page screenshot as a test artefact (test-artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def committed(app, make):
    """Run `make()` in an app context and commit (the live server is another thread), leaving
    no session behind; what `make` returns comes back."""
    from crm_web.core.db import db

    with app.app_context():
        result = make()
        db.session.commit()  # for a `make` that changes rows directly, not through a service
        db.session.remove()
    return result


def committed_user(app, role="rep", **fields):
    """tests.support.make_user, committed: the live server is another thread. The user comes
    back detached, its columns loaded (email, name, id)."""
    from crm_web.core.db import db

    with app.app_context():
        user = make_user(role, **fields)
        user.email  # noqa: B018 - load the columns the commit expired, while the session is open
        db.session.remove()
    return user


def login(page, user, password=TEST_PASSWORD):
    """Sign in through the real login form as `user` (a user or an email address)."""
    page.goto("/login")
    page.get_by_label("Email").fill(getattr(user, "email", user))
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
