"""`flask --app crm_web crm import FILE`: the wizard's pipeline from the shell, for admins moving
data in bulk. The file is staged and mapped like an upload, then the import job runs here, in
this process (no worker needed), while the terminal shows its progress; errors.csv is written
beside the file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from crm_web.accounts.services import get_user_by_email
from crm_web.core.db import db, transaction
from crm_web.core.errors import ValidationError
from crm_web.core.permissions import allowed
from crm_web.imports import jobs, saved, services
from crm_web.imports.models import Import

PROGRESS = "SELECT done, total FROM imports WHERE id = :id"


def import_here(
    path: Path,
    kind: str,
    email: str,
    mapping_name: str | None,
    show: Callable[[int, int], None],
    options: dict | None = None,
) -> Import:
    """Stage `path`, map it (the suggested mapping, or the saved one named), import every row
    as the user `email` with the wizard's `options` (services.save_mapping; the default owner
    given as "owner", an email); `show(done, total)` is called about twice a second meanwhile.
    Raises ValidationError or UnreadableFile when the import could not run."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        raise ValidationError({"as": [f"No active user has the email {email}."]})
    actor = user.as_actor()
    if not allowed(actor, "data.import"):
        raise ValidationError({"as": [f"{email} is a {actor.role}, who may not import."]})
    options = dict(options or {})
    owner_email = options.pop("owner", None)
    if owner_email:
        owner = get_user_by_email(owner_email)
        if owner is None or not owner.active:
            raise ValidationError({"owner": [f"No active user has the email {owner_email}."]})
        options["owner_id"] = str(owner.id)
    record = services.stage_upload(kind, path.name, path, actor)
    if mapping_name:
        saved.use_mapping(record.id, mapping_name, actor)
    else:
        services.save_mapping(record.id, list(record.mapping or []), actor)
    services.set_options(record.id, options, actor)
    with transaction(actor):
        # Queued for this process only: no job is deferred, so no worker picks it up too.
        queued = services.get_import(record.id, actor)
        queued.status = "queued"
    stop = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(current_app._get_current_object(), record.id, show, stop)
    )
    watcher.start()
    try:
        jobs.import_file(None, record.id)
    finally:
        stop.set()
        watcher.join()
    db.session.expire_all()
    return services.get_import(record.id, actor)


def _watch(app, import_id: int, show, stop: threading.Event) -> None:
    """Report the import's progress from its own connection until `stop`."""
    shown = None
    with app.app_context():
        while not stop.wait(0.5):
            with db.engine.connect() as conn:
                row = conn.execute(text(PROGRESS), {"id": import_id}).first()
            # None until the staged import is committed; a line only when the count moved.
            if row is not None and tuple(row) != shown:
                shown = tuple(row)
                show(*shown)


def write_errors(record: Import, email: str, target: Path) -> Path:
    """errors.csv of the import at `target` (the refused rows, as the page's download)."""
    actor = get_user_by_email(email).as_actor()
    with open(target, "w", encoding="utf-8", newline="") as handle:
        for chunk in services.errors_csv(record.id, actor):
            handle.write(chunk)
    return target
