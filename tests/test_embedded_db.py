"""The embedded PostgreSQL cluster, with a real server in a temporary data directory.

As root the server runs as an unprivileged user, so the directory's parents must be enterable
by others: it lives under /tmp in a 0711 directory. Every cluster started here is stopped."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import psycopg
import pytest

from crm_web.core import embedded_db
from crm_web.core.embedded_db import PORT, SUPERUSER, EmbeddedDatabaseError, EmbeddedPostgres


@pytest.fixture(scope="module")
def datadir():
    base = Path(tempfile.mkdtemp(prefix="crm-edb-", dir="/tmp"))  # noqa: S108
    base.chmod(0o711)
    path = base / "pgdata"
    yield path
    if (path / "PG_VERSION").exists():
        EmbeddedPostgres(path).stop()
    shutil.rmtree(base, ignore_errors=True)


def _server_pid(path: Path) -> int:
    return int((path / "postmaster.pid").read_text().splitlines()[0])


def _connect(cluster: EmbeddedPostgres, dbname: str):
    return psycopg.connect(
        host=str(cluster.socket_dir), port=PORT, user=SUPERUSER, dbname=dbname, autocommit=True
    )


def _stopped(path: Path) -> EmbeddedPostgres:
    cluster = EmbeddedPostgres(path)
    if cluster.is_initialised():
        cluster.stop()
    assert not cluster.is_running()
    return cluster


# The tests below share one cluster (initdb costs seconds) and run in file order; each one
# first puts the cluster in the state it starts from.


def test_first_start_initialises_and_starts_a_usable_cluster(datadir):
    cluster = EmbeddedPostgres(datadir)
    assert not cluster.is_initialised()
    assert cluster.start() is True
    assert cluster.started_here and cluster.is_initialised() and cluster.is_running()
    cluster.ensure_database("probe")
    cluster.ensure_database("probe")  # a second call finds it
    with _connect(cluster, "probe") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('first start')")
        assert conn.execute("SELECT note FROM kept").fetchall() == [("first start",)]
    # Reachable through the URL the app uses, on the Unix socket only.
    assert cluster.url("probe").startswith("postgresql+psycopg://crm@/probe?host=")
    conf = (datadir / "postgresql.conf").read_text()
    assert "listen_addresses = ''" in conf


def test_a_second_start_while_running_reuses_the_server(datadir):
    first = EmbeddedPostgres(datadir)
    first.start()
    pid = _server_pid(datadir)
    second = EmbeddedPostgres(datadir)
    assert second.start() is False
    assert not second.started_here
    assert _server_pid(datadir) == pid


def test_two_threads_starting_at_once_end_with_one_server(datadir):
    _stopped(datadir)
    results, errors = [], []

    def start():
        try:
            results.append(EmbeddedPostgres(datadir).start())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, True]
    pid = _server_pid(datadir)
    found = subprocess.run(
        ["pgrep", "-f", f"postgres -D {datadir}$"], capture_output=True, text=True, check=False
    ).stdout.split()
    # A child the server has just forked shows its command line until it names itself
    # ("postgres: checkpointer"), or until it exits: one of the server's own, not a second
    # server (make test's load once caught one).
    postmasters = [found_pid for found_pid in found if _parent(found_pid) not in (str(pid), None)]
    assert postmasters == [str(pid)]


def _parent(pid: str) -> str | None:
    """The process's parent id, or None once it is gone."""
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return line[line.rindex(")") + 2 :].split()[1]


def test_stop_then_start_keeps_the_data(datadir):
    cluster = EmbeddedPostgres(datadir)
    cluster.start()
    cluster.stop()
    assert not cluster.is_running()
    assert cluster.start() is True
    with _connect(cluster, "probe") as conn:
        assert ("first start",) in conn.execute("SELECT note FROM kept").fetchall()


@pytest.fixture
def unrelated_process():
    process = subprocess.Popen(["sleep", "300"])  # a live process that is not PostgreSQL
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def server_user_process():
    """A live process of the account the server runs as (after a reboot, a pid can be reused
    by any program of that user, e.g. another cluster's backend)."""
    user = EmbeddedPostgres.__new__(EmbeddedPostgres)._server_user()
    kwargs = {"user": user.pw_uid, "group": user.pw_gid} if user else {}
    process = subprocess.Popen(["sleep", "300"], cwd="/", **kwargs)
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.parametrize(
    "which", ["dead_pid", "unrelated_process", "server_user_process", "this_process"]
)
def test_a_stale_pid_file_left_by_a_killed_server_is_recovered_from(datadir, request, which):
    pid = os.getpid() if which == "this_process" else request.getfixturevalue(which)
    cluster = _stopped(datadir)
    pidfile = datadir / "postmaster.pid"
    pidfile.write_text(f"{pid}\n{datadir}\n")
    assert cluster.start() is True
    assert _server_pid(datadir) != pid
    with _connect(cluster, "probe") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_without_server_binaries_the_error_says_how_to_install_them(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(embedded_db, "DISTRO_BINDIR_GLOB", str(tmp_path / "*" / "bin" / "initdb"))
    with pytest.raises(EmbeddedDatabaseError) as caught:
        EmbeddedPostgres(tmp_path / "pgdata")
    message = str(caught.value)
    assert "\n" not in message
    assert "apt-get install postgresql" in message and "DATABASE_URL" in message


def test_binaries_are_found_without_path_in_the_distribution_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert (embedded_db.find_bindir() / "initdb").exists()
    assert (embedded_db.find_bindir() / "pg_ctl").exists()


def test_stop_command_line_stops_the_cluster(datadir):
    cluster = EmbeddedPostgres(datadir)
    cluster.start()
    assert embedded_db.main(["stop", str(datadir)]) == 0
    assert not cluster.is_running()
    assert embedded_db.main(["bogus"]) == 2


def test_stop_never_signals_a_process_that_is_not_the_server(datadir, server_user_process):
    cluster = _stopped(datadir)
    (datadir / "postmaster.pid").write_text(f"{server_user_process}\n{datadir}\n")
    cluster.stop()
    state = Path(f"/proc/{server_user_process}/stat").read_text().split(") ")[1].split()[0]
    assert state != "Z", "stop() killed an unrelated process named by a stale postmaster.pid"
    assert not (datadir / "postmaster.pid").exists()


def test_a_deep_data_directory_gets_its_socket_in_a_private_tmp_directory():
    """Unix socket paths are limited to ~107 bytes; a deep checkout must still work."""
    base = Path(tempfile.mkdtemp(prefix="crm-edb-deep-", dir="/tmp"))  # noqa: S108
    base.chmod(0o711)
    deep = base
    for part in ("a-rather-long-directory-name", "projects", "customer-relations", "instance"):
        deep = deep / part
        deep.mkdir()
        deep.chmod(0o711)
    cluster = EmbeddedPostgres(deep / "pgdata")
    try:
        assert len(str(cluster.datadir)) > embedded_db.MAX_SOCKET_DIR_LEN
        assert cluster.socket_dir != cluster.datadir
        assert str(cluster.socket_dir).startswith("/tmp/crm_web-")  # noqa: S108
        assert cluster.start() is True
        assert stat.S_IMODE(cluster.socket_dir.stat().st_mode) == 0o700
        with _connect(cluster, "postgres") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        cluster.stop()
        # A symlink planted where the socket directory goes is refused, never chowned.
        shutil.rmtree(cluster.socket_dir)
        target = base / "target"
        target.mkdir()
        cluster.socket_dir.symlink_to(target)
        with pytest.raises(EmbeddedDatabaseError, match="not a private directory"):
            cluster.start()
        assert target.stat().st_uid == os.getuid()
        cluster.socket_dir.unlink()
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(cluster.socket_dir, ignore_errors=True)
