"""`flask crm backup | restore | verify` (crm_web/cli.py): backups that are proven to restore.

A backup is one `pg_dump --format=custom` archive, made by the machine's own PostgreSQL programs
(the ones the embedded cluster runs on, else the first on PATH). pg_dump reads the whole database
in one repeatable-read snapshot, so the archive is consistent while the app keeps writing.
Connection details go to the programs as a libpq conninfo without the password, which travels
in PGPASSWORD: nothing secret shows in `ps`.

A restore goes into an empty database only, in one transaction (a failed restore leaves it
empty), and is followed by `verify`: every table's rows counted, and the audit log checked.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from psycopg.conninfo import make_conninfo
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

# Every audited model, so the checks know each entity type's table even outside the app.
from crm_web.accounts import models as _accounts  # noqa: F401
from crm_web.activities import models as _activities  # noqa: F401
from crm_web.audit import models as _audit  # noqa: F401
from crm_web.companies import models as _companies  # noqa: F401
from crm_web.contacts import models as _contacts  # noqa: F401
from crm_web.core.audit import Audited
from crm_web.core.db import db
from crm_web.core.embedded_db import EmbeddedDatabaseError, find_bindir
from crm_web.custom_fields import models as _custom_fields  # noqa: F401
from crm_web.deals import models as _deals  # noqa: F401

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
DISTRO_GLOB = "/usr/lib/postgresql/*/bin/{name}"
# Tables, views, sequences, materialized views, partitioned and foreign tables.
USER_RELATIONS = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ({kinds})
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2
"""


class BackupError(RuntimeError):
    """A backup, restore or verification could not run; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """A database as libpq programs take it: conninfo without the password, and the environment."""

    conninfo: str
    env: dict
    url: str  # the SQLAlchemy URL, password included, for our own connections
    label: str  # user@host/dbname, for messages

    @classmethod
    def from_url(cls, url: str) -> Target:
        parsed = make_url(url)
        params = {
            "dbname": parsed.database,
            "user": parsed.username,
            "host": parsed.host,
            "port": parsed.port,
        }
        # ?host=/socket/dir&port=…&sslmode=… are libpq parameters already.
        params.update({k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()})
        params = {k: str(v) for k, v in params.items() if v not in (None, "")}
        env = {**os.environ}
        if parsed.password:
            env["PGPASSWORD"] = parsed.password
        host = params.get("host", "localhost")
        label = f"{params.get('user', '')}@{host}/{params.get('dbname', '')}"
        return cls(make_conninfo(**params), env, url, label)


@dataclass
class Report:
    """What `verify` found: row counts per table, failed checks, and notes that are not failures."""

    counts: list[tuple[str, int]] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # (name, passed, detail)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(passed for _, passed, _ in self.checks)

    def lines(self) -> list[str]:
        width = max([len("table"), *(len(name) for name, _ in self.counts)])
        out = [f"{'table':<{width}}  {'rows':>10}", f"{'-' * width}  {'-' * 10}"]
        out += [f"{name:<{width}}  {rows:>10,}" for name, rows in self.counts]
        total = sum(rows for _, rows in self.counts)
        out += [f"{'-' * width}  {'-' * 10}", f"{'total':<{width}}  {total:>10,}", ""]
        out += [
            f"{'ok  ' if passed else 'FAIL'}  {name}{detail}"
            for name, passed, detail in self.checks
        ]
        out += [f"note  {note}" for note in self.notes]
        return out


# -- the PostgreSQL programs ----------------------------------------------------------------


def find_program(name: str) -> Path:
    """pg_dump or pg_restore: beside the server binaries the embedded cluster uses (so the
    versions match), else on PATH, else Debian's layout (newest version first)."""
    try:
        beside_server = find_bindir() / name
    except EmbeddedDatabaseError:
        beside_server = None
    if beside_server and beside_server.exists():
        return beside_server
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    candidates = sorted(glob.glob(DISTRO_GLOB.format(name=name)), key=_major_version)
    if candidates:
        return Path(candidates[-1])
    raise BackupError(
        f"{name} not found: install PostgreSQL's client programs (Debian/Ubuntu: apt-get install "
        f"postgresql-client; macOS: brew install postgresql@16) or put {name} on PATH"
    )


def _major_version(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def _run(program: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [str(find_program(program)), *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    except OSError as exc:
        raise BackupError(f"could not run {program}: {exc}") from exc


def _tool_message(stderr: str) -> str:
    """pg_dump's and pg_restore's own words, without their 'pg_dump: error:' prefixes."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    cleaned = [line.split("error: ", 1)[-1] if "error: " in line else line for line in lines]
    return "\n  ".join(cleaned[-6:]) or "no message"


def archive_contents(path: Path) -> list[str]:
    """The archive's table of contents (`pg_restore --list`); a clear error if it is not one."""
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    if path.is_dir():
        raise BackupError(f"{path} is a directory, not a backup file")
    if not os.access(path, os.R_OK):
        raise BackupError(f"{path} cannot be read (permissions)")
    if path.stat().st_size == 0:
        raise BackupError(f"{path} is empty: not a backup (was the backup interrupted?)")
    result = _run("pg_restore", "--list", str(path))
    if result.returncode != 0:
        raise BackupError(
            f"{path} is not a readable pg_dump custom-format archive: "
            f"{_tool_message(result.stderr)}"
        )
    return [line for line in result.stdout.splitlines() if line and not line.startswith(";")]


def _data_tables(contents: list[str]) -> list[str]:
    return [line.split()[-2] for line in contents if " TABLE DATA " in line]


# -- backup -----------------------------------------------------------------------------------


def backup(url: str, path: Path, echo=print) -> Path:
    """Write a consistent custom-format archive of the database at `url` to `path` (a new file,
    readable by its owner only: it holds password hashes). Never leaves a partial file."""
    target = Target.from_url(url)
    path = Path(path)
    if path.exists():
        raise BackupError(
            f"{path} exists already: backups are never overwritten, choose a new name"
        )
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, partial = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(f"cannot write a backup to {folder}: {exc.strerror}") from exc
    os.close(fd)  # mode 0600; pg_dump truncates and writes it, keeping the mode
    partial = Path(partial)
    try:
        result = _run(
            "pg_dump",
            "--format=custom",
            "--no-password",  # never wait for a prompt (cron has no one to answer it)
            f"--file={partial}",
            f"--dbname={target.conninfo}",
            env=target.env,
        )
        if result.returncode != 0:
            raise BackupError(f"backup of {target.label} failed: {_tool_message(result.stderr)}")
        tables = _data_tables(archive_contents(partial))
        os.link(partial, path)  # fails rather than replace a file that appeared meanwhile
    except FileExistsError as exc:
        raise BackupError(f"{path} appeared while the backup ran; nothing overwritten") from exc
    finally:
        partial.unlink(missing_ok=True)
    _fsync_folder(folder)
    size = path.stat().st_size
    echo(f"Backed up {target.label} to {path}: {len(tables)} tables, {size:,} bytes.")
    return path


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- restore ----------------------------------------------------------------------------------


def _engine(target: Target):
    return create_engine(target.url, poolclass=NullPool)


def _connection_error(target: Target, exc: SQLAlchemyError) -> BackupError:
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return BackupError(f"cannot use the database {target.label}: {reason}")


def existing_relations(url: str) -> list[str]:
    """The tables, views and sequences the database already holds (extensions' own aside)."""
    target = Target.from_url(url)
    try:
        with _engine(target).connect() as conn:
            rows = conn.execute(text(USER_RELATIONS.format(kinds="'r','p','v','m','S','f'")))
            return [f"{schema}.{name}" for schema, name in rows]
    except SQLAlchemyError as exc:
        raise _connection_error(target, exc) from exc


def restore(url: str, path: Path, echo=print) -> Report:
    """Restore the archive at `path` into the EMPTY database at `url`, then verify it."""
    target = Target.from_url(url)
    path = Path(path)
    tables = _data_tables(archive_contents(path))
    if "audit_logs" not in tables or "alembic_version" not in tables:
        raise BackupError(f"{path} is a PostgreSQL archive but not a crm_web backup")
    present = existing_relations(url)
    if present:
        shown = ", ".join(present[:5]) + (", …" if len(present) > 5 else "")
        raise BackupError(
            f"refusing to restore into {target.label}: it is not empty ({len(present)} tables, "
            f"views or sequences: {shown}). Restore into a new empty database (createdb NAME, "
            f"then point DATABASE_URL at it)."
        )
    result = _run(
        "pg_restore",
        "--no-password",
        "--no-owner",  # the objects belong to whoever restores, as the app's user expects
        "--no-privileges",  # the source's roles need not exist here
        "--exit-on-error",
        "--single-transaction",  # all or nothing: a failed restore leaves the database empty
        f"--dbname={target.conninfo}",
        str(path),
        env=target.env,
    )
    if result.returncode != 0:
        raise BackupError(
            f"restore into {target.label} failed, nothing was restored: "
            f"{_tool_message(result.stderr)}"
        )
    echo(f"Restored {path} into {target.label}: {len(tables)} tables.")
    return verify(url)


# -- verify -----------------------------------------------------------------------------------


def verify(url: str) -> Report:
    """Count every table's rows and check the audit log, in one read-only snapshot."""
    target = Target.from_url(url)
    report = Report()
    engine = _engine(target).execution_options(isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            tables = list(conn.execute(text(USER_RELATIONS.format(kinds="'r','p'"))))
            if not any(name == "audit_logs" for _, name in tables):
                raise BackupError(f"{target.label} holds no crm_web database (no audit_logs table)")
            quote = conn.dialect.identifier_preparer.quote
            for schema, name in tables:
                # Names from the catalogue, quoted.
                count = f"SELECT count(*) FROM {quote(schema)}.{quote(name)}"  # noqa: S608
                rows = conn.execute(text(count))
                report.counts.append(
                    (name if schema == "public" else f"{schema}.{name}", rows.scalar())
                )
            _check_sequences(conn, report)
            _check_audit_log(conn, report)
            _note_schema_revision(conn, report)
    except SQLAlchemyError as exc:
        raise _connection_error(target, exc) from exc
    return report


def _check_sequences(conn, report: Report) -> None:
    """Identity and serial columns will not hand out a value their table already holds (a
    restore that left a sequence behind would make the next write fail)."""
    columns = conn.execute(
        text("""
        SELECT table_schema, table_name, column_name,
               pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name)
        FROM information_schema.columns
        WHERE (is_identity = 'YES' OR column_default LIKE 'nextval(%')
          AND table_schema NOT IN ('pg_catalog', 'information_schema')
        """)
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    behind = []
    for schema, table, column, sequence in columns:
        highest = conn.execute(
            text(f"SELECT max({quote(column)}) FROM {quote(schema)}.{quote(table)}")  # noqa: S608
        ).scalar()
        nxt = conn.execute(
            text("""
            SELECT coalesce(s.last_value + s.increment_by, s.start_value)
            FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename) = :name
            """),
            {"name": sequence},
        ).scalar()
        if highest is not None and nxt is not None and nxt <= highest:
            behind.append(f"{table}.{column} (next {nxt}, highest {highest})")
    detail = f": behind their tables: {', '.join(behind)}" if behind else ""
    report.checks.append(
        ("sequences are ahead of the values their columns hold", not behind, detail)
    )


# The audit log (core/audit.py) has no hash chain: it is an append-only table written by a flush
# hook in the writing transaction, with `seq`, an identity column, ordering it. Anyone who can
# rewrite the table could rewrite a chain of hashes too, so one would prove little without an
# outside anchor. What the hook does guarantee is checked: each record's history begins with
# its one create, nothing follows its delete, its times run forward in seq order, and a record
# still present has not been recorded as deleted.
HISTORY = """
    WITH h AS (
        SELECT entity_type, entity_id, action, seq, timestamp,
               row_number() OVER w AS n, lag(action) OVER w AS before,
               lag(timestamp) OVER w AS before_at
        FROM audit_logs WINDOW w AS (PARTITION BY entity_type, entity_id ORDER BY seq)
    )
    SELECT count(*), (array_agg(entity_type || ' ' || entity_id ORDER BY seq))[1:3]
    FROM h WHERE {condition}
"""
HISTORY_CHECKS = (
    ("every record's history begins with its one create", "action = 'create' AND n > 1"),
    ("nothing is recorded after a record's delete", "before = 'delete'"),
    ("each record's entries run forward in time in seq order", "timestamp < before_at"),
)


def _audited_tables() -> dict[str, str]:
    return {
        mapper.class_.__audit_entity__: mapper.class_.__tablename__
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, Audited)
    }


def _check_audit_log(conn, report: Report) -> None:
    summary = conn.execute(
        text("SELECT count(*), min(seq), max(seq), min(timestamp), max(timestamp) FROM audit_logs")
    ).one()
    entries, first, last, since, until = summary
    if entries:
        report.notes.append(
            f"audit log: {entries:,} entries, seq {first} to {last}, {since:%Y-%m-%d %H:%M} "
            f"to {until:%Y-%m-%d %H:%M} UTC"
        )
    for name, condition in HISTORY_CHECKS:
        count, examples = conn.execute(text(HISTORY.format(condition=condition))).one()
        detail = f": {count} entries break it, e.g. {', '.join(examples)}" if count else ""
        report.checks.append((name, count == 0, detail))

    deleted_yet_present, unrecorded = [], []
    quote = conn.dialect.identifier_preparer.quote
    for entity, table in sorted(_audited_tables().items()):
        # The table name comes from our own models.
        query = f"""
            SELECT count(*) FILTER (WHERE last_action = 'delete'),
                   count(*) FILTER (WHERE NOT created), count(*)
            FROM (SELECT (SELECT a.action FROM audit_logs a
                          WHERE a.entity_type = :entity AND a.entity_id = r.id
                          ORDER BY a.seq DESC LIMIT 1) AS last_action,
                         EXISTS (SELECT 1 FROM audit_logs a WHERE a.entity_type = :entity
                                 AND a.entity_id = r.id AND a.action = 'create') AS created
                  FROM {quote(table)} r) AS x
        """  # noqa: S608
        counts = conn.execute(text(query), {"entity": entity}).one()
        if counts[0]:
            deleted_yet_present.append(f"{entity} ×{counts[0]}")
        if counts[1]:
            unrecorded.append(f"{entity} {counts[1]:,} of {counts[2]:,}")
    detail = f": {', '.join(deleted_yet_present)}" if deleted_yet_present else ""
    report.checks.append(
        ("no record still present is recorded as deleted", not deleted_yet_present, detail)
    )
    if unrecorded:
        # Not a failure: rows loaded without the hook (migrations' pipeline stages, seed-demo's
        # COPY) have no create entry, nor will records whose history retention purged.
        report.notes.append(
            "records without a create entry (loaded by migrations or seed-demo, or history "
            f"purged): {', '.join(unrecorded)}"
        )


def _note_schema_revision(conn, report: Report) -> None:
    """A backup from an older release restores at its own schema revision: say so."""
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if revision != head:
        report.notes.append(
            f"schema revision {revision}, this code's is {head}: run `flask --app crm_web db "
            f"upgrade` before serving it"
        )
