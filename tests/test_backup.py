"""`crm backup`, `crm restore`, `crm verify` (crm_web/tools/backup.py): a seeded database goes
through pg_dump and pg_restore into a fresh database on the same server and comes back whole."""

from __future__ import annotations

import stat

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from crm_web import create_app
from crm_web.activities.services import delete_note, update_task
from crm_web.contacts.services import archive_contact, update_contact
from crm_web.core.db import db
from crm_web.tools import backup as tool
from tests.custom_fields.support import define
from tests.support import (
    ADMIN,
    make_company,
    make_contact,
    make_deal,
    make_note,
    make_task,
    make_user,
)


def _scratch_names(app) -> tuple[str, str]:
    """Beside the test database, named after it (parallel suites use their own)."""
    base = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    return f"{base}_backup_source", f"{base}_backup_restored"


def _url(app, database: str) -> str:
    return (
        make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        .set(database=database)
        .render_as_string(hide_password=False)
    )


def _recreate(app, database: str, *, create: bool = True) -> str:
    """A new empty database on the test server (or none: create=False); its URL."""
    admin = tool.Target.from_url(_url(app, "postgres"))
    with psycopg.connect(
        admin.conninfo, autocommit=True, password=admin.env.get("PGPASSWORD")
    ) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if create:
            c.execute(f'CREATE DATABASE "{database}"')
    return _url(app, database)


def _copy(app) -> str:
    return _recreate(app, _scratch_names(app)[1])


def _seed() -> None:
    """One of each kind of row, through the services (so the audit hook writes its entries),
    with the changes that make history: updates, an archive, a delete."""
    rep = make_user("rep", name="Robin Rep")
    make_user("manager")
    define("contact", "Tier", "enum", enum_values=["Gold", "Silver"])
    define("deal", "Seats", "number")
    acme = make_company(name="Acme Ltd", website="https://acme.example")
    ada = make_contact(
        first_name="Ada",
        emails=["ada@example.com", "a.lovelace@example.org"],
        phones=["(415) 555-0100"],
        company_id=acme.id,
        owner_id=rep.id,
        custom_fields={"tier": "Gold"},
    )
    update_contact(ada.id, {"job_title": "Analyst"}, ADMIN, expected_version=ada.version)
    grace = make_contact(first_name="Grace", last_name="Hopper", emails=["grace@example.com"])
    archive_contact(grace.id, ADMIN)
    make_deal(title="Ten seats", value="12000.50", company_id=acme.id, custom_fields={"seats": 10})
    task = make_task("contact", ada.id, description="Send the contract")
    update_task(task.id, {"description": "Send the signed contract"}, ADMIN, task.version)
    make_note("company", acme.id, content="Met at the fair — ünïcödé")
    delete_note(make_note("contact", ada.id, content="Wrong contact").id, ADMIN)


@pytest.fixture(scope="module")
def source(app):
    """A committed, seeded database of its own (the test session's changes are never
    committed, so pg_dump could not see them)."""
    url = _recreate(app, _scratch_names(app)[0])
    seeded = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with seeded.app_context():
        upgrade()
        _seed()
        db.session.remove()
        db.engine.dispose()
    yield url
    for name in _scratch_names(app):
        _recreate(app, name, create=False)


def _rows(url: str) -> dict[str, list[str]]:
    """Every row of every table, as PostgreSQL's own JSON of it, sorted."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).scalars()
        return {
            table: sorted(
                conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')).scalars()
            )
            for table in tables
        }


def test_a_seeded_database_comes_back_row_for_row(app, source, tmp_path):
    archive = tmp_path / "crm.dump"
    said = []
    tool.backup(source, archive, echo=said.append)
    assert archive.exists() and said[0].startswith("Backed up ")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds password hashes

    restored = _copy(app)
    report = tool.restore(restored, archive, echo=said.append)

    assert report.ok, "\n".join(report.lines())
    before, after = _rows(source), _rows(restored)
    assert list(after) == list(before)
    for table in before:
        assert after[table] == before[table], table
    counts = dict(report.counts)
    assert counts["contacts"] == 2 and counts["users"] == 2 and counts["notes"] == 1
    assert counts["audit_logs"] == len(before["audit_logs"]) > 10
    assert any('"ada@example.com"' in row for row in after["contacts"])
    printed = "\n".join(report.lines())
    assert "FAIL" not in printed and "ok    every record's history begins" in printed


def test_restore_refuses_a_database_that_is_not_empty_and_leaves_it_alone(
    app_ctx, app, source, tmp_path
):
    archive = tool.backup(source, tmp_path / "crm.dump", echo=lambda _: None)
    before = _rows(source)

    result = app.test_cli_runner().invoke(args=["crm", "restore", str(archive)])

    assert result.exit_code == 1
    assert "refusing to restore into" in result.stderr and "it is not empty" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    with pytest.raises(tool.BackupError, match="it is not empty"):
        tool.restore(source, archive, echo=lambda _: None)
    assert _rows(source) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty: not a backup"),
        (b"PGDMP but then nothing sensible at all" * 20, "not a readable pg_dump"),
        (b"-- a plain SQL dump\nSELECT 1;\n", "not a readable pg_dump"),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused_with_a_clear_message(
    app_ctx, app, tmp_path, content, message
):
    bad = tmp_path / "crm.dump"
    bad.write_bytes(content)

    result = app.test_cli_runner().invoke(args=["crm", "restore", str(bad)])

    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output + result.stderr


def test_a_truncated_archive_restores_nothing(app, source, tmp_path):
    whole = tool.backup(source, tmp_path / "whole.dump", echo=lambda _: None).read_bytes()
    cut = tmp_path / "cut.dump"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    target = _copy(app)

    with pytest.raises(tool.BackupError, match="nothing was restored|not a readable"):
        tool.restore(target, cut, echo=lambda _: None)
    assert tool.existing_relations(target) == []


def test_backup_over_the_cli_writes_a_new_file_and_never_overwrites(app_ctx, app, tmp_path):
    archive = tmp_path / "nightly.dump"
    runner = app.test_cli_runner()

    first = runner.invoke(args=["crm", "backup", str(archive)])
    assert first.exit_code == 0, first.output
    assert f"to {archive}:" in first.stdout and archive.stat().st_size > 1000
    second = runner.invoke(args=["crm", "backup", str(archive)])
    assert second.exit_code == 1 and "never overwritten" in second.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["nightly.dump"]  # no partial file left


def test_backup_errors_say_what_is_wrong_without_a_traceback(app_ctx, app, tmp_path, monkeypatch):
    runner = app.test_cli_runner()
    missing_folder = runner.invoke(args=["crm", "backup", str(tmp_path / "no" / "x.dump")])
    assert missing_folder.exit_code == 1
    assert "cannot write a backup to" in missing_folder.stderr

    down = make_url(_url(app, "crm_web")).set(query={"host": str(tmp_path), "port": "5999"})
    with pytest.raises(tool.BackupError, match="backup of .* failed: .*connection"):
        tool.backup(down.render_as_string(hide_password=False), tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(tool, "find_bindir", _no_server_binaries)
    monkeypatch.setattr(tool, "DISTRO_GLOB", str(tmp_path / "{name}"))
    monkeypatch.setenv("PATH", str(tmp_path))
    no_binaries = runner.invoke(args=["crm", "backup", str(tmp_path / "x.dump")])
    assert no_binaries.exit_code == 1
    assert "pg_dump not found: install PostgreSQL's client programs" in no_binaries.stderr


def _no_server_binaries():
    raise tool.EmbeddedDatabaseError("no initdb")


def test_verify_fails_when_a_sequence_lags_behind_its_table(app, source, tmp_path):
    """What a hand-made restore can get wrong: the audit log's seq would hand out used values."""
    archive = tool.backup(source, tmp_path / "crm.dump", echo=lambda _: None)
    copy = _copy(app)
    tool.restore(copy, archive, echo=lambda _: None)
    with create_engine(copy, poolclass=NullPool).begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('audit_logs', 'seq'), 1)"))

    report = tool.verify(copy)

    assert not report.ok
    assert (
        "FAIL  sequences are ahead of the values their columns hold: behind their tables: "
        "audit_logs.seq (next 2" in "\n".join(report.lines())
    )


def test_verify_fails_on_history_written_after_a_delete(app, source, tmp_path):
    archive = tool.backup(source, tmp_path / "crm.dump", echo=lambda _: None)
    copy = _copy(app)
    tool.restore(copy, archive, echo=lambda _: None)
    with create_engine(copy, poolclass=NullPool).begin() as conn:
        conn.execute(
            text("""
            INSERT INTO audit_logs (entity_type, entity_id, action, user_id, changes)
            SELECT entity_type, entity_id, 'update', 'intruder', '{}' FROM audit_logs
            WHERE action = 'delete' LIMIT 1
            """)
        )

    report = tool.verify(copy)

    assert not report.ok
    assert "FAIL  nothing is recorded after a record's delete: 1 entries break it, e.g. note " in (
        "\n".join(report.lines())
    )
