"""The read replica against a real streaming hot standby of the test cluster (pg_basebackup -R):
the lists, search, board and print view read from it; someone who just wrote reads the primary;
too much lag or a dead standby sends reads to the primary, and pages keep answering 200.

Data is committed for real (the standby only sees commits), and the tables are emptied after."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from crm_web.config import ConfigError, load_settings
from crm_web.core.embedded_db import PORT, SUPERUSER, EmbeddedPostgres
from tests.support import (
    cluster_conninfo,
    embedded_cluster,
    make_contact,
    make_deal,
    make_user,
    sign_in,
)

CAUGHT_UP_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def primary(app):
    return embedded_cluster(
        app, "the standby is made from the embedded cluster (TEST_DATABASE_URL is set)"
    )


@pytest.fixture(scope="module")
def standby(app, primary):
    """A hot standby streaming from the test cluster, in a folder of its own; stopped and removed
    at the end."""
    root = Path(app.instance_path) / f"standby-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    primary._give_to_server_user(root)
    root.chmod(0o711)  # the data folder inside is the server's own (0700)
    cluster = EmbeddedPostgres(root / "pgdata", bindir=primary.bindir)
    try:
        backup = cluster._run(
            "pg_basebackup",
            *("-D", str(cluster.datadir), "-R", "-X", "stream", "-c", "fast"),
            *("-h", str(primary.socket_dir), "-p", str(PORT), "-U", SUPERUSER),
        )
        assert backup.returncode == 0, backup.stderr
        # The primary keeps its socket and log in its data folder: the copy is not this one's.
        for copied in (f".s.PGSQL.{PORT}.lock", "server.log"):
            (cluster.datadir / copied).unlink(missing_ok=True)
        # The copied settings name the primary's socket folder: this one listens in its own.
        cluster._append_settings()
        with open(cluster.datadir / "postgresql.conf", "a") as conf:
            conf.write("hot_standby = on\n")
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def replica_app(app, standby):
    """The app as a deployment with DATABASE_REPLICA_URL runs it, on the test database."""
    from crm_web import create_app
    from crm_web.core.db import db

    name = app.config["SQLALCHEMY_DATABASE_URI"].split("@/")[1].split("?")[0]
    application = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "DATABASE_REPLICA_URL": standby.url(name),
            "REPLICA_MAX_LAG_S": 60,
        }
    )
    yield application
    with application.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "pipeline_stages"]
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        for engine in db.engines.values():
            engine.dispose()


def _committed(app, make):
    from crm_web.core.db import db

    with app.app_context():
        result = make()
        db.session.commit()
        db.session.refresh(result)  # its columns loaded, for use after the session is gone
        db.session.expunge_all()
        db.session.remove()
    return result


def _wait_until_replayed(app, standby):
    """Until the standby has replayed everything the primary has written so far (a condition
    polled with a deadline, not a guess at how long replication takes)."""
    from crm_web.core.db import db

    with app.app_context(), db.engine.connect() as conn:
        target = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    name = app.config["SQLALCHEMY_DATABASE_URI"].split("@/")[1].split("?")[0]
    deadline = time.monotonic() + CAUGHT_UP_TIMEOUT_S
    with psycopg.connect(cluster_conninfo(standby, name), autocommit=True) as conn:
        while True:
            replayed = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()[0]
            if replayed:
                return
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.05)


def _on_standby(app, standby, sql):
    name = app.config["SQLALCHEMY_DATABASE_URI"].split("@/")[1].split("?")[0]
    with psycopg.connect(cluster_conninfo(standby, name), autocommit=True) as conn:
        conn.execute(sql)


def _look_again(app):
    """Forget this process's last look at the standby (it is kept a second)."""
    app.extensions["replica_health"].forget()


def test_pages_read_the_standby_writers_read_the_primary_and_a_dead_standby_is_survived(
    replica_app, standby
):
    app = replica_app
    stamp = uuid.uuid4().hex[:6]
    rep = _committed(app, lambda: make_user("rep"))
    watcher = _committed(app, lambda: make_user("rep"))
    contact = _committed(app, lambda: make_contact(first_name="Stale", last_name=f"Ada{stamp}"))
    deal = _committed(app, lambda: make_deal(title=f"Stale licence {stamp}"))
    _wait_until_replayed(app, standby)

    # Replay stops: from now on the standby still shows the old names, the primary the new ones.
    _on_standby(app, standby, "SELECT pg_wal_replay_pause()")
    from crm_web.core.db import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            text("UPDATE contacts SET first_name = 'Fresh' WHERE id = :id"), {"id": contact.id}
        )
        conn.execute(
            text("UPDATE deals SET title = :t WHERE id = :id"),
            {"t": f"Fresh licence {stamp}", "id": deal.id},
        )

    reader = app.test_client()
    sign_in(reader, watcher)
    # The lists, search, board and print view come from the standby: the old names.
    for url in (
        "/contacts/",
        f"/contacts/?q=Ada{stamp}",
        "/deals",
        f"/deals?q={stamp}",
        "/deals/board",
        "/deals/board/print",
        "/companies/",
    ):
        response = reader.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        if "contacts" in url:
            assert "Stale" in page and "Fresh" not in page, url
        elif "deals" in url:
            assert f"Stale licence {stamp}" in page and "Fresh licence" not in page, url
    # A record page reads the primary.
    record = reader.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Fresh" in record

    # The rep who writes sees their write at once, though the standby has not replayed it;
    # someone who did not write still reads the standby.
    writer = app.test_client()
    sign_in(writer, rep)
    created = writer.post("/contacts/", data={"first_name": "Grace", "last_name": f"Own{stamp}"})
    assert created.status_code == 303, created.get_data(as_text=True)
    # (The search box repeats the term: the row is looked for by the first name.)
    assert "Grace" in writer.get(f"/contacts/?q=Own{stamp}").get_data(as_text=True)
    assert "Fresh" in writer.get("/contacts/").get_data(as_text=True)
    assert "Grace" not in reader.get(f"/contacts/?q=Own{stamp}").get_data(as_text=True)

    # Beyond the lag bound, everyone reads the primary.
    app.config["REPLICA_MAX_LAG_S"] = 0
    _look_again(app)
    assert "Fresh" in reader.get("/contacts/").get_data(as_text=True)
    app.config["REPLICA_MAX_LAG_S"] = 60
    _look_again(app)
    assert "Stale" in reader.get("/contacts/").get_data(as_text=True)

    # The standby dies while this process still trusts its last look: the page is read again
    # from the primary; and the next look finds it gone.
    standby._run("pg_ctl", "stop", "-D", str(standby.datadir), "-m", "immediate", "-w")
    health = app.extensions["replica_health"]
    health.usable, health.checked_at = True, time.monotonic()
    for url in ("/contacts/", "/deals/board", "/deals/board/print", "/companies/", "/deals"):
        response = reader.get(url)
        assert response.status_code == 200, url
    assert "Fresh" in reader.get("/contacts/").get_data(as_text=True)
    _look_again(app)
    response = reader.get(f"/deals?q={stamp}")
    assert response.status_code == 200
    assert f"Fresh licence {stamp}" in response.get_data(as_text=True)


def test_a_malformed_replica_url_is_refused_by_name(tmp_path):
    environ = {"CRM_ENV": "test", "DATABASE_REPLICA_URL": "mysql://replica/crm"}
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL"):
        load_settings(environ, tmp_path)


def test_without_a_replica_url_no_second_engine_is_made(app):
    from crm_web.core.db import db

    with app.app_context():
        assert list(db.engines) == [None]
    assert "replica_health" not in app.extensions
