"""PostgreSQL dying under the app: the app's own 503 (HTML, or JSON for JSON clients), never an
empty 500; a COMMIT whose connection broke says the change may have been saved; and the app
serves again once PostgreSQL is back, without a restart.

These tests commit for real, so they run against a database of their own (crm_web_outage) in
the suite's embedded cluster, served by a second app. Killing the cluster kills the suite's
database too: every test leaves the cluster running, as it found it."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg
import pytest
from sqlalchemy import event, select, text
from werkzeug.serving import make_server

from tests.support import (
    TEST_PASSWORD,
    cluster_conninfo,
    embedded_cluster,
    make_user,
    reset_schema,
    sign_in,
)

# It stops the cluster every other test uses: `make test` runs it alone, after the parallel part.
pytestmark = pytest.mark.exclusive
OUTAGE_DATABASE = "crm_web_outage"
UNKNOWN_OUTCOME = "Your change may have been saved: reload to check."
# Bounds: the load never runs away, and a phase that never comes fails the test, never hangs it.
MAX_REQUESTS_PER_WORKER = 1500
PHASE_TIMEOUT_S = 120
WORKERS = ("write", "write", "read-html", "read-json")


@pytest.fixture(scope="module")
def cluster(app):
    return embedded_cluster(
        app, "kills the embedded cluster; TEST_DATABASE_URL names another PostgreSQL"
    )


def _terminate(dbapi_connection, cluster) -> None:
    """Have the server drop this connection, as a crash would, from a second connection."""
    pid = dbapi_connection.info.backend_pid
    with psycopg.connect(cluster_conninfo(cluster, OUTAGE_DATABASE), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture(scope="module")
def outage_app(cluster):
    from crm_web import create_app
    from crm_web.accounts.auth import public
    from crm_web.core.db import db

    application = create_app(
        {"TESTING": True, "EMBEDDED_DATABASE_NAME": OUTAGE_DATABASE, "WTF_CSRF_ENABLED": False}
    )

    @application.get("/test/read-then-lose-the-connection")
    @public
    def read_then_lose_the_connection():
        """Reads (opening a transaction), then the server drops the connection: the teardown's
        rollback meets a dead connection after the answer was chosen."""
        db.session.execute(text("SELECT 1"))
        _terminate(db.session.connection().connection.dbapi_connection, cluster)
        return "read"

    reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def manager(outage_app):
    from crm_web.core.db import db

    with outage_app.app_context():
        user = make_user("manager")
        user.email  # noqa: B018 - load the columns while the session is open
        db.session.remove()
    return user


@dataclass
class Answer:
    worker: str
    method: str
    path: str
    status: int
    content_type: str
    request_id: str
    body: str
    location: str = ""
    last_name: str = ""


def _call(port, method, path, cookie="", form=None, accept="text/html"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie, "Accept": accept}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text_ = response.read().decode("utf-8", "replace")
        return Answer(
            "",
            method,
            path,
            response.status,
            response.getheader("Content-Type", ""),
            response.getheader("X-Request-ID", ""),
            text_,
            response.getheader("Location", ""),
        )
    finally:
        conn.close()


def _session_cookie(port, user) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urlencode({"email": user.email, "password": TEST_PASSWORD})
    conn.request(
        "POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie", "")
    conn.close()
    return cookie.split(";", 1)[0]


class Load:
    """Writers create contacts, readers open the list (one as a JSON client); every answer is
    kept. Phases wait on `changed` for conditions over the answers, never on time."""

    def __init__(self, port, cookie):
        self.port, self.cookie = port, cookie
        self.answers: list[Answer] = []
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._work, args=(f"{kind}-{n}", kind), daemon=True)
            for n, kind in enumerate(WORKERS)
        ]

    def _work(self, name, kind):
        for i in range(MAX_REQUESTS_PER_WORKER):
            if self.stop.is_set():
                return
            if kind == "write":
                last_name = f"Outage-{name}-{i}"
                form = {"first_name": "Ada", "last_name": last_name}
                answer = _call(self.port, "POST", "/contacts/", self.cookie, form)
                answer.last_name = last_name
            else:
                accept = "application/json" if kind == "read-json" else "text/html"
                answer = _call(self.port, "GET", "/contacts/", self.cookie, accept=accept)
            answer.worker = kind
            with self.changed:
                self.answers.append(answer)
                self.changed.notify_all()

    def count(self, since=0, kind=None, statuses=range(200, 400)):
        return sum(
            1
            for a in self.answers[since:]
            if a.status in statuses and (kind is None or a.worker.startswith(kind))
        )

    def wait_for(self, condition, what):
        with self.changed:
            if not self.changed.wait_for(condition, PHASE_TIMEOUT_S):
                raise AssertionError(f"never saw {what} ({len(self.answers)} answers)")
            return len(self.answers)


@pytest.fixture
def served(outage_app, cluster):
    server = make_server("127.0.0.1", 0, outage_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        if not cluster.is_running():  # a failed test must not leave the suite without PostgreSQL
            cluster.start()


def test_killing_postgresql_under_load_gives_only_the_apps_503_and_loses_no_write(
    served, cluster, outage_app, manager
):
    cookie = _session_cookie(served, manager)
    load = Load(served, cookie)
    for thread in load.threads:
        thread.start()
    try:
        load.wait_for(
            lambda: load.count(kind="write") >= 5 and load.count(kind="read") >= 5,
            "reads and writes answered before the outage",
        )
        killed_at = len(load.answers)
        stopped = cluster._run("pg_ctl", "stop", "-D", str(cluster.datadir), "-m", "immediate")
        assert stopped.returncode == 0, stopped.stderr
        load.wait_for(
            lambda: (
                load.count(killed_at, "write", [503]) >= 3
                and load.count(killed_at, "read-html", [503]) >= 3
                and load.count(killed_at, "read-json", [503]) >= 3
            ),
            "503s for reads and writes during the outage",
        )
        cluster.start()
        restarted_at = len(load.answers)
        load.wait_for(
            lambda: (
                load.count(restarted_at, "write") >= 5 and load.count(restarted_at, "read") >= 5
            ),
            "reads and writes served again after PostgreSQL came back",
        )
    finally:
        load.stop.set()
        for thread in load.threads:
            thread.join(60)

    statuses = {a.status for a in load.answers}
    assert statuses <= {200, 303, 503}, statuses
    for answer in load.answers:
        if answer.status != 503:
            continue
        assert answer.request_id, answer
        if answer.worker == "read-json":
            assert answer.content_type == "application/problem+json"
            assert json.loads(answer.body)["type"].rsplit("/", 1)[1] in (
                "database_error",
                "commit_outcome_unknown",
            )
        else:
            assert answer.content_type.startswith("text/html")
            assert f"Reference: <code>{answer.request_id}</code>" in answer.body
            assert "failed" not in answer.body.lower()
    acknowledged = {
        a.last_name for a in load.answers if a.worker == "write" and a.status in (200, 303)
    }
    assert all(
        a.location.startswith("/contacts/")
        for a in load.answers
        if a.worker == "write" and a.status == 303
    )
    from crm_web.contacts.models import Contact
    from crm_web.core.db import db

    with outage_app.app_context():
        stored = set(
            db.session.scalars(select(Contact.last_name).where(Contact.last_name.in_(acknowledged)))
        )
        db.session.remove()
    assert acknowledged - stored == set()


def test_a_commit_whose_connection_breaks_says_the_change_may_have_been_saved(
    outage_app, cluster, manager
):
    from crm_web.core.db import db

    with outage_app.app_context():
        engine = db.engine
    client = outage_app.test_client()
    sign_in(client, manager)

    dropped = []

    def drop_before_commit(conn):
        """Just before COMMIT goes out, the server drops the connection: nobody can know."""
        if not dropped:
            dropped.append(True)
            _terminate(conn.connection.dbapi_connection, cluster)

    event.listen(engine, "commit", drop_before_commit)
    try:
        response = client.post("/contacts/", data={"first_name": "Ada", "last_name": "Maybe"})
    finally:
        event.remove(engine, "commit", drop_before_commit)
    assert dropped
    assert response.status_code == 503
    assert UNKNOWN_OUTCOME in response.text
    assert "failed" not in response.text.lower()
    # The app goes on: the next request gets a fresh connection.
    assert client.get("/contacts/").status_code == 200


def test_a_rollback_on_a_dropped_connection_at_teardown_keeps_the_answer(served):
    answer = _call(served, "GET", "/test/read-then-lose-the-connection")
    assert (answer.status, answer.body) == (200, "read")
    assert _call(served, "GET", "/readyz").status == 200
