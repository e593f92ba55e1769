"""`flask --app crm_web crm …` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from crm_web.accounts.services import create_user, get_user_by_email
from crm_web.accounts.tokens import create_token
from crm_web.core.actor import ROLES, SYSTEM
from crm_web.core.errors import CRMError, ValidationError
from crm_web.imports.models import IMPORT_KINDS
from crm_web.imports.reader import UnreadableFile
from crm_web.imports.shell import import_here, write_errors
from crm_web.jobs.queue import run_worker

crm = click.Group("crm", help="crm_web administration.")


@crm.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="", help="Display name (defaults to the part before @).")
def create_user_command(email: str, role: str, name: str) -> None:
    """Create a user; the password is read from a prompt, or from stdin when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    data = {"email": email, "name": name or email.split("@")[0], "role": role, "password": password}
    try:
        user = create_user(data, SYSTEM)
    except ValidationError as exc:
        for field, messages in exc.fields.items():
            click.echo(f"{field}: {'; '.join(messages)}", err=True)
        raise SystemExit(1) from exc
    click.echo(f"Created {user.role} {user.email}")


@crm.command("create-token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for (shown in its user's list).")
@click.option("--read-only", is_flag=True, help="Reads only: every write gets 403.")
@click.option("--expires", default=None, help="Last day it works (YYYY-MM-DD); none by default.")
def create_token_command(email: str, name: str, read_only: bool, expires: str | None) -> None:
    """Make an API token for a user and print it, this once (only its hash is kept)."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        click.echo(f"No active user {email}.", err=True)
        raise SystemExit(1)
    data = {"name": name, "scope": "read" if read_only else "read_write", "expires_at": expires}
    try:
        token, secret = create_token(data, SYSTEM, user=user)
    except ValidationError as exc:
        for field, messages in exc.fields.items():
            click.echo(f"{field}: {'; '.join(messages)}", err=True)
        raise SystemExit(1) from exc
    click.echo(f"Token {token.name!r} ({token.scope}) for {user.email}; it is shown only now:")
    click.echo(secret)


@crm.command("seed-demo")
@click.option("--contacts", default=1000, show_default=True, type=click.IntRange(0))
@click.option("--companies", default=100, show_default=True, type=click.IntRange(0))
@click.option("--tasks", default=2000, show_default=True, type=click.IntRange(0))
@click.option("--notes", default=1000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same names).")
def seed_demo_command(contacts: int, companies: int, tasks: int, notes: int, seed: int) -> None:
    """Fill the database with realistic demo companies, contacts, and tasks and notes on them
    (COPY; fast)."""
    # Imported here, when the command runs: the app never loads crm_web.tools at start-up.
    from crm_web.tools.demo import seed_activities, seed_demo

    seed_demo(contacts, companies, seed, echo=click.echo)
    seed_activities(tasks, notes, seed, echo=click.echo)


def _database_url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _report(report) -> None:
    """Print what verify found; exit 1 when a check failed."""
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        click.echo("Verification FAILED: see the FAIL lines above.", err=True)
        raise SystemExit(1)
    click.echo("Verified: every check passed.")


@crm.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file: str) -> None:
    """Write a consistent pg_dump archive (custom format) of the database to FILE (a new file)."""
    # Imported here, when the command runs: the app never loads crm_web.tools at start-up.
    from crm_web.tools.backup import BackupError, backup

    try:
        backup(_database_url(), file, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@crm.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
def restore_command(file: str) -> None:
    """Restore FILE (made by `crm backup`) into the empty database, then verify it."""
    # Imported here, when the command runs (see backup_command).
    from crm_web.tools.backup import BackupError, restore

    try:
        report = restore(_database_url(), file, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(report)


@crm.command("verify")
def verify_command() -> None:
    """Count every table's rows and check the audit log's integrity; exit 1 if a check fails."""
    # Imported here, when the command runs (see backup_command).
    from crm_web.tools.backup import BackupError, verify

    try:
        report = verify(_database_url())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(report)


@crm.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "kind", type=click.Choice(IMPORT_KINDS), required=True)
@click.option("--as", "email", required=True, help="The acting user's email (named in history).")
@click.option("--mapping", "mapping_name", help="A saved mapping's name (default: suggested).")
@click.option(
    "--duplicates",
    type=click.Choice(["skip", "fill", "overwrite", "create"]),
    default="skip",
    show_default=True,
    help="A contact row whose email or phone a contact has: skip it, fill that contact's empty "
    "fields, overwrite them, or create a contact anyway.",
)
@click.option("--owner", "owner", help="The records' owner when a row names none (an email).")
@click.option("--phone-region", help="Where numbers without a country code are, e.g. FR.")
def import_command(
    file: Path,
    kind: str,
    email: str,
    mapping_name: str | None,
    duplicates: str,
    owner: str | None,
    phone_region: str | None,
) -> None:
    """Import a CSV or .xlsx file of contacts or companies here, as the wizard would; exit 0
    when it ran (even with refused rows), 1 when it could not."""

    def show(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 0
        click.echo(f"\r{done:,} of {total:,} rows ({percent} %)", nl=False, err=True)

    try:
        options = {"owner": owner, "phone_region": phone_region or ""}
        if kind == "contacts":
            options["duplicates"] = duplicates
        record = import_here(file, kind, email, mapping_name, show, options)
    except UnreadableFile as exc:
        raise click.ClickException(exc.message) from exc
    except CRMError as exc:
        messages = sum(getattr(exc, "fields", {}).values(), []) or [str(exc)]
        raise click.ClickException(" ".join(messages)) from exc
    except Exception as exc:
        raise click.ClickException(f"The import stopped: {exc}") from exc
    click.echo("", err=True)
    click.echo(
        f"Import #{record.id}: {record.created:,} created, "
        + (f"{record.updated:,} updated, " if record.updated else "")
        + f"{record.skipped:,} skipped as duplicates, {record.refused:,} refused, "
        f"of {record.total:,} rows."
    )
    if record.refused:
        target = write_errors(record, email, file.with_name(f"{file.stem}-errors.csv"))
        click.echo(f"Refused rows, with row numbers and reasons: {target}")


@crm.command("worker")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1))
@click.option("--queue", "queues", multiple=True, help="Only these queues (default: all).")
@click.option("--once", is_flag=True, help="Run the queued jobs, then stop.")
def worker_command(concurrency: int, queues: tuple[str, ...], once: bool) -> None:
    """Run background jobs (imports, retention) until stopped with Ctrl-C or SIGTERM."""
    run_worker(
        current_app._get_current_object(), once=once, concurrency=concurrency, queues=list(queues)
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(crm)
