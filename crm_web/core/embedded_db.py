"""A private PostgreSQL cluster in the instance folder, used when DATABASE_URL is unset.

The cluster listens on a Unix socket only, in a directory nobody else can enter, with trust
authentication: reaching the socket is the credential. A file lock makes concurrent starters
(web server, worker, a second test run) share one server instead of racing to start two.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER = "crm"
PORT = 5432
# Unix socket paths are limited to 107 bytes; leave room for "/.s.PGSQL.5432".
MAX_SOCKET_DIR_LEN = 90
# Where Debian and Ubuntu install each major version's server binaries.
DISTRO_BINDIR_GLOB = "/usr/lib/postgresql/*/bin/initdb"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded cluster could not be found, created or started."""


def find_bindir() -> Path:
    """Locate PostgreSQL's server binaries: PATH, then pg_config, then Debian's layout."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    candidates = sorted(
        glob.glob(DISTRO_BINDIR_GLOB),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    raise EmbeddedDatabaseError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install them "
        "(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16) "
        "or set DATABASE_URL to an existing database."
    )


@dataclass
class EmbeddedPostgres:
    """One cluster directory and the Unix socket it serves on."""

    datadir: Path
    bindir: Path | None = None
    # True once start() has started the server in this process (so it is ours to stop).
    started_here: bool = False

    def __post_init__(self) -> None:
        self.datadir = Path(self.datadir).resolve()
        self.bindir = Path(self.bindir) if self.bindir else find_bindir()

    @property
    def socket_dir(self) -> Path:
        # Inside the cluster directory (mode 0700) when the path is short enough.
        if len(str(self.datadir)) <= MAX_SOCKET_DIR_LEN:
            return self.datadir
        digest = hashlib.sha256(str(self.datadir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"crm_web-{digest}"  # noqa: S108 - private 0700 dir

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    # -- running the server's programs as the right user ------------------------------------

    def _server_user(self) -> pwd.struct_passwd | None:
        """PostgreSQL refuses to run as root; borrow an unprivileged account then."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise EmbeddedDatabaseError("running as root and no 'postgres' or 'nobody' user exists")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        user = self._server_user()
        kwargs = {}
        if user is not None:
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd="/",
            **kwargs,
        )

    def _check_server_user_can_reach(self) -> None:
        if self._server_user() is None:
            return
        for parent in self.datadir.parents:
            if parent.exists() and not parent.stat().st_mode & 0o001:
                raise EmbeddedDatabaseError(
                    f"running as root, the database runs as an unprivileged user who cannot "
                    f"enter {parent}; allow it (chmod o+x {parent}) or set DATABASE_URL"
                )

    def _give_to_server_user(self, path: Path) -> None:
        user = self._server_user()
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(path, 0o700)

    def _make_private_socket_dir(self) -> None:
        """The socket goes to /tmp when the data directory's path is too long. Anyone can create
        names there, so refuse a planted symlink or someone else's directory rather than chown
        or use it."""
        path = self.socket_dir
        with suppress(FileExistsError):
            path.mkdir(mode=0o700)
        info = os.lstat(path)
        user = self._server_user()
        owners = {os.geteuid()} | ({user.pw_uid} if user else set())
        if not stat.S_ISDIR(info.st_mode) or info.st_uid not in owners:
            raise EmbeddedDatabaseError(
                f"{path} is not a private directory of this user; remove it and start again"
            )
        self._give_to_server_user(path)

    # -- lifecycle ---------------------------------------------------------------------------

    @contextmanager
    def _lock(self):
        lock_path = self.datadir.parent / f".{self.datadir.name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def is_initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.datadir)).returncode == 0

    def initialise(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self._give_to_server_user(self.datadir)
        result = self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        if result.returncode != 0:
            raise EmbeddedDatabaseError(f"initdb failed:\n{result.stderr.strip()}")
        self._append_settings()

    def _append_settings(self) -> None:
        settings = (
            "\n# crm_web embedded cluster\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            f"port = {PORT}\n"
            "max_connections = 100\n"
            "shared_buffers = 256MB\n"
            "fsync = on\n"
        )
        conf = self.datadir / "postgresql.conf"
        with open(conf, "a") as handle:
            handle.write(settings)

    def _pidfile_is_stale(self) -> bool:
        """Does postmaster.pid name a process that is not this cluster's server?

        A killed run leaves the file behind, and after a reboot its pid may belong to any
        program — even one of the server's own user, which `pg_ctl status` takes for a live
        server (and `pg_ctl stop` would signal). The server runs from its data directory."""
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (ValueError, IndexError):
            return True
        except OSError:
            return False
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True
        if b"postgres" not in cmdline:
            return True
        try:
            return Path(os.readlink(f"/proc/{pid}/cwd")).resolve() != self.datadir
        except OSError:
            return False  # cannot tell; a postgres it may be, so leave its file alone

    def _remove_stale_pidfile(self) -> None:
        if self._pidfile_is_stale():
            (self.datadir / "postmaster.pid").unlink(missing_ok=True)

    def start(self) -> bool:
        """Initialise and start the cluster unless it runs already; True if this call started it."""
        with self._lock():
            self._check_server_user_can_reach()
            if not self.is_initialised():
                self.initialise()
            self._remove_stale_pidfile()
            if self.is_running():
                return False
            if self.socket_dir != self.datadir:
                self._make_private_socket_dir()
            log = self.datadir / "server.log"
            result = self._run(
                "pg_ctl", "start", "-D", str(self.datadir), "-l", str(log), "-w", "-t", "60"
            )
            if result.returncode != 0:
                tail = log.read_text()[-2000:] if log.exists() else result.stderr
                raise EmbeddedDatabaseError(f"could not start PostgreSQL:\n{tail.strip()}")
            self.started_here = True
            return True

    def stop(self) -> None:
        with self._lock():
            if not self.is_initialised():
                return
            self._remove_stale_pidfile()  # never signal a process that is not our server
            if self.is_running():
                self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w")

    def ensure_database(self, name: str) -> None:
        """Create the database on first use (under the lock, so two starters don't collide)."""
        with self._lock():
            conninfo = f"host={self.socket_dir} port={PORT} user={SUPERUSER} dbname=postgres"
            with psycopg.connect(conninfo, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - name is ours


def main(argv: list[str]) -> int:
    """`python -m crm_web.core.embedded_db stop DATADIR`: stop without building the app."""
    if len(argv) != 2 or argv[0] != "stop":
        print("usage: python -m crm_web.core.embedded_db stop DATADIR")
        return 2
    cluster = EmbeddedPostgres(Path(argv[1]))
    if cluster.is_initialised():
        cluster.stop()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
