"""The import wizard: /imports (the list), upload, map columns, preview, run with a progress
bar, and the report of refused rows with errors.csv."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    has_app_context,
    redirect,
    request,
    stream_with_context,
    url_for,
)

from crm_web.accounts.auth import current_actor, requires
from crm_web.core import input_guard
from crm_web.core.errors import ValidationError
from crm_web.core.htmx import render
from crm_web.deals import pipeline
from crm_web.imports import exports, mapping, saved, services, undo
from crm_web.imports.models import IMPORT_KINDS
from crm_web.imports.reader import UnreadableFile
from crm_web.lists.state import record_list_state

bp = Blueprint("imports", __name__, url_prefix="/imports")
# Exports sit beside the lists they export (/exports/contacts.csv?q=…&owner=…).
exports_bp = Blueprint("exports", __name__, url_prefix="/exports")
input_guard.allow_upload("imports.create", "IMPORT_MAX_BYTES")
KIND_LABELS = {"contacts": "Contacts", "companies": "Companies"}


def _upload_page(kind: str, error: str | None = None, status: int = 200):
    limit_mb = current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)
    return render(
        "imports/new.html",
        kind=kind,
        kinds=KIND_LABELS,
        error=error,
        limit_mb=limit_mb,
        status=status,
    )


@bp.errorhandler(413)
def too_large(exc):
    """A file past the limit: the upload form again, saying so."""
    limit_mb = current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)
    message = f"The file is larger than {limit_mb} MB. Split it into smaller files."
    return _upload_page(request.args.get("kind", "contacts"), message, 413)


@bp.get("")
@requires("data.import")
def index():
    """Imports: who, when, which file, counts, status."""
    actor = current_actor()
    imports = services.list_imports(actor)
    return render(
        "imports/index.html",
        imports=imports,
        kinds=KIND_LABELS,
        everyones=services.sees_every_import(actor),
    )


@bp.get("/new")
@requires("data.import")
def new():
    """Step 1: choose a CSV or .xlsx file."""
    kind = request.args.get("kind", "contacts")
    return _upload_page(kind if kind in IMPORT_KINDS else "contacts")


@bp.post("")
@requires("data.import")
def create():
    """Stage the uploaded file (streamed to a temporary file on disk), then map its columns."""
    kind = request.form.get("kind", "contacts")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(kind, "Choose a file to upload.", 422)
    with tempfile.TemporaryDirectory(prefix="crm-import-") as folder:
        path = Path(folder) / "upload"
        upload.save(path)
        try:
            record = services.stage_upload(kind, upload.filename, path, current_actor())
        except UnreadableFile as exc:
            return _upload_page(kind, exc.message, 422)
        except ValidationError as exc:
            return _upload_page("contacts", " ".join(sum(exc.fields.values(), [])), 422)
    # A file shaped like one mapped before gets that saved mapping, chosen on the next page.
    saved.offer_saved_mapping(record.id, current_actor())
    return redirect(url_for("imports.edit", import_id=record.id), 303)


@bp.get("/<import_id>/map")
@requires("data.import")
def edit(import_id):
    """Step 2: each column with sample values and where it goes (?use=<saved mapping id>
    shows a saved mapping's choices, kept when the form is saved)."""
    record = services.get_import(import_id, current_actor())
    matches = saved.matching_mappings(record)
    chosen = next((m for m in matches if str(m.id) == request.args.get("use")), None)
    if chosen is not None and record.status == "uploaded":
        record.mapping = list(chosen.mapping)  # shown only: the form's Save keeps it
    return _map_page(record, matches=matches)


def _map_page(record, errors=None, status=200, matches=None, save_as=""):
    matches = saved.matching_mappings(record) if matches is None else matches
    return render(
        "imports/map.html",
        record=record,
        columns=services.columns(record),
        targets=mapping.targets(record.kind),
        duplicates=services.DUPLICATES,
        owners=services.owner_choices(),
        regions=services.phone_regions(),
        default_region=current_app.config.get("DEFAULT_PHONE_REGION", "US"),
        kinds=KIND_LABELS,
        errors=errors or {},
        matches=matches,
        chosen=next((m for m in matches if m.mapping == record.mapping), None),
        save_as=save_as,
        status=status,
    )


@bp.post("/<import_id>/map")
@requires("data.import")
def update(import_id):
    """Save the mapping, then the preview (303); the mapping again with messages (422)."""
    actor = current_actor()
    record = services.get_import(import_id, actor)
    targets = [request.form.get(f"column-{i}", "") for i in range(len(record.header))]
    options = {name: request.form.get(name, "") for name in services.OPTION_NAMES}
    save_as = request.form.get("save_as", "")
    try:
        saved.save_mapping(import_id, targets, save_as, actor, options)
    except ValidationError as exc:
        record.mapping, record.options = targets, options
        return _map_page(record, exc.fields, 422, save_as=save_as)
    return redirect(url_for("imports.detail", import_id=import_id), 303)


@bp.get("/<import_id>")
@requires("data.import")
def detail(import_id):
    """Step 3: the preview and Run; then the progress bar; then the report."""
    actor = current_actor()
    record = services.get_import(import_id, actor)
    preview = services.preview(import_id, actor) if record.status == "uploaded" else None
    refused = services.refused_rows(record) if record.status == "done" else []
    return render(
        "imports/detail.html",
        "import_progress",
        record=record,
        preview=preview,
        refused=refused,
        progress=services.progress(record),
        kinds=KIND_LABELS,
    )


@bp.post("/<import_id>/run")
@requires("data.import")
def run(import_id):
    """Queue the import; its page shows the progress."""
    try:
        services.start_import(import_id, current_actor())
    except ValidationError:
        return redirect(url_for("imports.edit", import_id=import_id), 303)
    return redirect(url_for("imports.detail", import_id=import_id), 303)


@bp.get("/<import_id>/undo")
@requires("data.import")
def undo_confirm(import_id):
    """What Undo would archive, and the records changed since (kept unless ticked)."""
    plan = undo.undo_plan(import_id, current_actor())
    return render("imports/undo.html", kinds=KIND_LABELS, **plan)


@bp.post("/<import_id>/undo")
@requires("data.import")
def undo_run(import_id):
    """Archive the import's records, then its page with what happened (303)."""
    include_changed = request.form.get("include_changed") == "1"
    try:
        result = undo.undo_import(import_id, current_actor(), include_changed)
    except ValidationError as exc:
        flash(" ".join(sum(exc.fields.values(), [])), "error")
        return redirect(url_for("imports.undo_confirm", import_id=import_id), 303)
    kept = f" Kept {result['kept']:,} changed since the import." if result["kept"] else ""
    archived, restored = result["archived"], result["restored"]
    put_back = f", {restored:,} contact{'s' * (restored != 1)} put back" if restored else ""
    said = f"{archived:,} record{'s' * (archived != 1)} archived{put_back}"
    flash(f"Import undone: {said}.{kept}", "success")
    return redirect(url_for("imports.detail", import_id=import_id), 303)


@bp.get("/<import_id>/errors.csv")
@requires("data.import")
def errors(import_id):
    """The refused rows: row number, column, reason, then the file's own columns."""
    chunks = services.errors_csv(import_id, current_actor())
    first = next(chunks)  # raises before the response starts when the import isn't theirs
    body = stream_with_context(_chain(first, chunks))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="import-{import_id}-errors.csv"'
    )
    return response


def _chain(first, rest):
    yield first
    yield from rest


def _export_filters(kind: str, args) -> dict:
    """The filters of the list the export comes from, read from its query string as it does."""
    if kind == "deals":
        return pipeline.clean_filters(args)
    if kind == "tasks":
        return {"q": (args.get("q") or "").strip()[:100], "assignee": args.get("assignee") or ""}
    filters = dict(record_list_state(args, ()).filters)
    if kind == "contacts":  # a searched list's sort decides which matches it shows
        filters["sort"] = args.get("sort") or ""
    return filters


@exports_bp.get("/<any(contacts, companies, deals, tasks):kind>.csv")
@requires("data.export")
def export(kind: str):
    """Every row the list's filters (in the query string) select, as CSV; ?bom=1 for Excel."""
    filters = _export_filters(kind, request.args)
    actor, bom = current_actor(), request.args.get("bom") == "1"
    app = current_app._get_current_object()

    def body():
        # Its own app context, so its own session: the request's is closed once the view has
        # returned (teardown), and with it the server-side cursor the rows stream from. (One
        # that is still active, as a test's, outlives the request and serves.)
        if has_app_context():
            yield from exports.export_csv(kind, filters, actor, bom=bom)
            return
        with app.app_context():
            yield from exports.export_csv(kind, filters, actor, bom=bom)

    response = Response(body(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response
