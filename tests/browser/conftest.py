"""Real-browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright through
Debian's Chromium. Data is committed for real (the server is another thread), so each test
starts from empty tables.

A missing Chromium is an error, never a skip: install Debian's `chromium` package."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from tests.support import TEST_PASSWORD, make_user

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


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
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


def _empty_tables(app) -> None:
    """Empty every table but the pipeline stages (restored to the migration's defaults)."""
    from crm_web.core.db import db

    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "pipeline_stages"]
        with db.engine.begin() as conn:
            stages = conn.execute(text("SELECT * FROM pipeline_stages")).mappings().all()
            if not hasattr(app, "_default_stages"):
                app._default_stages = [dict(s) for s in stages]
            conn.execute(text(f"TRUNCATE {', '.join(tables)}, pipeline_stages CASCADE"))
            for stage in app._default_stages:
                columns = ", ".join(stage)
                values = ", ".join(f":{c}" for c in stage)
                conn.execute(
                    text(f"INSERT INTO pipeline_stages ({columns}) VALUES ({values})"), stage
                )
        db.session.remove()


@pytest.fixture
def clean_db(app):
    """Empty tables before the test, and again after it, so the committed data of a browser
    test never leaks into the rolled-back tests that may run next."""
    _empty_tables(app)
    yield
    _empty_tables(app)


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
