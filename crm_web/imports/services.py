"""Imports: stage an uploaded file, map its columns, check it, run it in the background, and
report refused rows. Every row goes through the contacts or companies services' checks, so an
import is held to the rules of the forms and the API; a batch of checked rows is written
set-based (core/batch.py), its records' history as the audit hook writes a record made by hand,
naming the user and `import:<id>`."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers

from crm_web.accounts.services import active_users, get_user, users_by_email_or_name
from crm_web.companies.services import batch_rules as company_rules
from crm_web.companies.services import check_companies, company_ids_named, insert_companies
from crm_web.contacts.services import batch_rules as contact_rules
from crm_web.contacts.services import (
    check_contacts,
    contacts_by_id,
    contacts_holding,
    insert_contacts,
    update_contact,
)
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import CRMError, NotFoundError, PermissionDenied, ValidationError
from crm_web.core.permissions import allowed, authorize
from crm_web.core.validation import small_whole_number
from crm_web.imports import mapping as m
from crm_web.imports import repository as repo
from crm_web.imports.models import IMPORT_KINDS, Import
from crm_web.imports.reader import UnreadableFile, read_table
from crm_web.jobs.queue import defer

SAMPLES = 3
PREVIEW_ROWS = 200


def stage_upload(kind: str, file_name: str, path: Path, actor: Actor) -> Import:
    """Read the file at `path` into the staging table (COPY) as a new import. Editors. Raises
    UnreadableFile with a message when the file is not a table."""
    authorize(actor, "data.import")
    if kind not in IMPORT_KINDS:
        raise ValidationError({"kind": ["Choose contacts or companies."]})
    header, rows = read_table(path)
    with transaction(actor) as session:
        record = Import(kind=kind, file_name=file_name[:255], header=header, user_id=actor.id)
        session.add(record)
        session.flush()
        try:
            record.total = repo.copy_rows(record.id, rows)
        except csv.Error as exc:
            raise UnreadableFile(f"The file could not be read as CSV: {exc}.") from exc
        samples = [row.cells for row in repo.first_rows(record.id, SAMPLES)]
        record.mapping = m.suggest(kind, header, samples)
    return record


def get_import(import_id, actor: Actor) -> Import:
    """An import its user, a manager or an admin may see."""
    authorize(actor, "data.import")
    # Any other text (or a number past PostgreSQL's integer) names no import: a 404.
    number = small_whole_number(str(import_id))
    record = repo.get_import(number) if number is not None else None
    if record is None:
        raise NotFoundError("import", import_id)
    if str(record.user_id) != actor.id and not allowed(actor, "records.archive_any"):
        raise PermissionDenied("data.import", "This is someone else's import.")
    return record


def list_imports(actor: Actor) -> list[Import]:
    """Managers and admins see every import; reps their own."""
    authorize(actor, "data.import")
    return repo.list_imports(None if sees_every_import(actor) else actor.id)


def sees_every_import(actor: Actor) -> bool:
    return allowed(actor, "records.archive_any")


def columns(record: Import) -> list[dict]:
    """Per column: its header, sample values and chosen target (the mapping step)."""
    rows = [row.cells for row in repo.first_rows(record.id, SAMPLES)]
    mapping = record.mapping or [m.IGNORE] * len(record.header)
    return [
        {
            "index": index,
            "name": name,
            "samples": [row[index] for row in rows if index < len(row) and row[index].strip()],
            "target": mapping[index] if index < len(mapping) else m.IGNORE,
        }
        for index, name in enumerate(record.header)
    ]


# What to do with a row matching a contact already in the CRM (same email, else same phone).
DUPLICATES = {
    "skip": "Skip the row",
    "fill": "Fill the contact's empty fields from the row",
    "overwrite": "Overwrite the contact's fields with the row's",
    "create": "Create a new contact anyway",
}


OPTION_NAMES = ("duplicates", "owner_id", "phone_region")


def owner_choices() -> list:
    """(id, name) of the users an import's records may belong to: those who can sign in."""
    return active_users()


def phone_regions() -> list[tuple[str, str]]:
    """(region, label) of every region a phone number may be written in: "FR (+33)"."""
    return [
        (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]


def save_mapping(import_id, targets: list[str], actor: Actor, options=None) -> Import:
    """Set each column's target (each at most once, and a name among them) and the import's
    options: `duplicates` (contacts: a key of DUPLICATES), `owner_id` (the records' owner
    when the row names none: an active user, "" for the importer) and `phone_region` (of
    numbers written without a country code: a region code, "" for the app's default)."""
    with transaction(actor):
        record = get_import(import_id, actor)
        _check_not_started(record)
        record.options = _clean_options(record.kind, options or {})
        allowed_targets = {target for target, _ in m.targets(record.kind)}
        errors = {}
        seen = set()
        for index, target in enumerate(targets):
            if target not in allowed_targets:
                errors[f"column-{index}"] = ["Choose a field or “Don't import”."]
            elif target and target in seen:
                errors[f"column-{index}"] = ["Another column goes to this field already."]
            seen.add(target)
        names = {"full_name", "first_name", "last_name"} if record.kind == "contacts" else {"name"}
        if not errors and not seen & names:
            errors["mapping"] = ["Choose the column that holds the name."]
        if errors:
            raise ValidationError(errors)
        record.mapping = list(targets)
    return record


def set_options(import_id, options: dict, actor: Actor) -> Import:
    """Set the import's options alone (save_mapping says which), as `crm import` does."""
    with transaction(actor):
        record = get_import(import_id, actor)
        _check_not_started(record)
        record.options = _clean_options(record.kind, options)
    return record


def _clean_options(kind: str, options: dict) -> dict:
    errors, clean = {}, {}
    duplicates = options.get("duplicates") or "skip"
    if kind == "contacts":
        if duplicates not in DUPLICATES:
            errors["duplicates"] = ["Choose what to do with a row that matches a contact."]
        clean["duplicates"] = duplicates
    owner = options.get("owner_id") or ""
    if owner:
        if owner not in {str(user.id) for user in active_users()}:
            errors["owner_id"] = ["Choose someone who can sign in."]
        clean["owner_id"] = owner
    region = (options.get("phone_region") or "").upper()
    if region:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            errors["phone_region"] = ["Choose a country from the list."]
        clean["phone_region"] = region
    if errors:
        raise ValidationError(errors)
    return clean


def start_import(import_id, actor: Actor) -> Import:
    """Queue the import job (crm_web/imports/jobs.py) for a mapped upload."""
    with transaction(actor):
        record = get_import(import_id, actor)
        _check_not_started(record)
        if not record.mapping or not any(record.mapping):
            raise ValidationError({"mapping": ["Choose where at least one column goes."]})
        record.status = "queued"
        record.job_id = defer("import_file", import_id=record.id)
    return record


def _check_not_started(record: Import) -> None:
    if record.status != "uploaded":
        raise ValidationError({"mapping": ["This import has started; its mapping is fixed."]})


def row_data(record: Import, cells: list[str]) -> tuple[dict, dict, str]:
    """The service input of one row, which column each field came from (for messages), and
    the company name it gives ("" for none): matched or made when the batch is written
    (write_batch), as the row's company_id."""
    data: dict = {}
    source: dict = {}
    company = ""
    numbered: dict[str, dict[int, str]] = {"emails": {}, "phones": {}}
    for index, target in enumerate(record.mapping or []):
        value = cells[index].strip() if index < len(cells) else ""
        if not target or not value:
            continue
        column = record.header[index]
        field, _, rest = target.partition(":")
        if field in numbered and rest.isdigit():
            numbered[field][int(rest)] = value
            source.setdefault(field, column)
        elif field == "cf":
            data.setdefault("custom_fields", {})[rest] = value
            source[f"custom_fields.{rest}"] = column
        elif target.startswith("address."):
            data.setdefault("address", {})[target.split(".", 1)[1]] = value
            source["address"] = column
        elif target == "full_name":
            first, _, last = value.rpartition(" ")
            data["first_name"], data["last_name"] = (first, last) if first else (value, "")
            source["first_name"] = source["last_name"] = column
        elif target == "owner":  # a user's email or name: check_batch finds the user
            data["owner"] = value
            source["owner_id"] = column
        elif target == "company":
            source["company_id"] = column
            company = value
        else:
            data[target] = value
            source[target] = column
    for field, values in numbered.items():
        if values:
            data[field] = [values[n] for n in sorted(values)]
    return data, source, company


def import_batch(record: Import, rows, actor: Actor, companies: dict) -> list[dict]:
    """Create the records of staged `rows` set-based (contacts/companies insert_*): each row
    checked by the contacts or companies rules, duplicates (same email or phone as a contact
    in the CRM or an earlier row) skipped, companies matched by name or made. Returns
    {row_number, outcome, column_name, message} per row. The records' history reads as for
    ones made by hand, naming `actor` and its import. `companies` caches names across batches."""
    return write_batch(record, check_batch(record, rows, actor), actor, companies)


def check_rules(kind: str, actor: Actor, options: dict | None = None) -> dict:
    """What check_batch reads from the database, read once a batch beforehand: the rules'
    (contacts' or companies' batch_rules), the users an owner column may name, and the
    import's `options` (its default owner and phone region)."""
    owners = users_by_email_or_name()
    rules = (contact_rules if kind == "contacts" else company_rules)(actor)
    rules.update(owners=owners, owner_ids={i for i in owners.values() if i})
    options = options or {}
    if options.get("owner_id"):
        rules["owner_id"] = uuid.UUID(options["owner_id"])
    if options.get("phone_region"):
        rules["phone_region"] = options["phone_region"]
    return rules


def check_batch(record: Import, rows, actor: Actor, rules: dict | None = None) -> list[tuple]:
    """The first half of import_batch, which writes nothing: per staged row, (row_number,
    its clean values or the error refusing it, source columns, company name). Given `rules`
    (check_rules) it reads nothing either: the import job runs it in a thread for the next
    batch while this one is written, with `record` a plain copy of the import's kind, header
    and mapping (no ORM object, no session crosses threads)."""
    check = check_contacts if record.kind == "contacts" else check_companies
    rules = rules or check_rules(record.kind, actor, getattr(record, "options", None))
    inputs = [(row.row_number, *row_data(record, row.cells)) for row in rows]
    unknown = {number: _owner(data, rules["owners"]) for number, data, _, _ in inputs}
    results = check([data for _, data, _, _ in inputs], actor, rules)
    return [
        (number, unknown[number] or result, source, company)
        for (number, _, source, company), result in zip(inputs, results, strict=True)
    ]


def _owner(data: dict, owners: dict) -> ValidationError | None:
    """The row's owner column (data["owner"], an email or a name) as the owner_id of the user
    it names; the error refusing the row when it names nobody, or two users."""
    named = data.pop("owner", None)
    if named is None:
        return None
    key = " ".join(named.split()).lower()
    if owners.get(key):
        data["owner_id"] = owners[key]
        return None
    named = named[:100]
    if key in owners:
        return ValidationError({"owner_id": [f"Two users are called “{named}”: give an email."]})
    return ValidationError({"owner_id": [f"No user has the email or name “{named}”."]})


def write_batch(record: Import, checked: list[tuple], actor: Actor, companies: dict) -> list[dict]:
    """The second half of import_batch: link the checked rows' companies (matched by name or
    made; a name no company can have refuses its rows), skip duplicates, insert the rest."""
    wanted = [company for _, result, _, company in checked if company and isinstance(result, dict)]
    names = [n for n in dict.fromkeys(wanted) if n.lower() not in companies]
    if names:
        companies.update(company_ids_named(names, actor))
    outcomes: dict[int, dict] = {}
    built = []
    for number, result, source, company in checked:
        if company and isinstance(result, dict):
            found = companies[company.lower()]
            result = found if isinstance(found, CRMError) else {**result, "company_id": found}
        if isinstance(result, CRMError):
            outcomes[number] = _refusal(result, source)
        else:
            built.append((number, result))
    duplicates = (getattr(record, "options", None) or {}).get("duplicates", "skip")
    if record.kind == "contacts" and duplicates != "create":
        built, matched = _without_duplicates(built, outcomes)
        given = {number: source for number, _, source, _ in checked}
        # One query for the batch's matched contacts, not one a row.
        current = contacts_by_id([contact_id for _, contact_id, _ in matched])
        for number, contact_id, clean in matched:
            if duplicates == "skip":
                message = "Already in the CRM (same email or phone)."
                outcomes[number] = {"outcome": "skipped", "column_name": None, "message": message}
            else:
                fields = {name.split(".")[0] for name in given[number]}
                change = {name: clean[name] for name in fields if name in clean}
                contact = current[str(contact_id)]
                outcomes[number] = _update(contact, change, duplicates, given[number], actor)
    insert = insert_contacts if record.kind == "contacts" else insert_companies
    insert([clean for _, clean in built], actor)
    for number, _ in built:
        outcomes[number] = {"outcome": "created", "column_name": None, "message": None}
    return [{"row_number": number, **outcomes[number]} for number in sorted(outcomes)]


def _without_duplicates(built: list, outcomes: dict) -> tuple[list, list]:
    """(the rows whose emails and phones no contact holds and no earlier row had, the rows
    matching a contact in the CRM as (row number, its id, the row's values)); a row with an
    earlier row's email or phone is marked skipped in `outcomes`. A row matches the contact
    holding its first email in the CRM (in any case), else its first phone there."""
    emails = [value for _, contact in built for value in contact.get("emails") or ()]
    phones = [value for _, contact in built for value in contact.get("phones") or ()]
    holders = contacts_holding(emails, phones) if emails or phones else {}
    first_row: dict[str, int] = {}
    kept, matched = [], []
    for number, contact in built:
        mine = [*(e.lower() for e in contact.get("emails") or ()), *(contact.get("phones") or ())]
        holder = next((holders[key] for key in mine if key in holders), None)
        earlier = sorted(first_row[key] for key in mine if key in first_row)
        if holder is not None:
            matched.append((number, holder, contact))
        elif earlier:
            message = f"Same email or phone as row {earlier[0]}."
            outcomes[number] = {"outcome": "skipped", "column_name": None, "message": message}
        else:
            kept.append((number, contact))
            for key in mine:
                first_row[key] = number
    return kept, matched


def _update(contact, values: dict, how: str, source: dict, actor: Actor) -> dict:
    """A row matching a contact, written into it as `how` says ("fill": only the fields it
    has empty; "overwrite": every field the row gives), through the service a person's edit
    goes through (its rules, rights and history); the row's outcome."""
    change = {}
    for name, value in values.items():
        have = getattr(contact, name)
        if name == "custom_fields":
            have = have or {}
            keys = [k for k in value if how == "overwrite" or have.get(k) in (None, "", [])]
            value = {k: value[k] for k in keys if value[k] != have.get(k)}
            if value:
                change[name] = value
        elif value != have and (how == "overwrite" or have in (None, "", [])):
            change[name] = value
    if not change:
        message = "Already in the CRM (same email or phone), with nothing to " + (
            "fill." if how == "fill" else "change."
        )
        return {"outcome": "skipped", "column_name": None, "message": message}
    try:
        update_contact(contact.id, change, actor)
    except PermissionDenied:
        message = "Matches a contact you may not change (same email or phone)."
        return {"outcome": "refused", "column_name": None, "message": message}
    except CRMError as exc:
        return _refusal(exc, source)
    return {"outcome": "updated", "column_name": None, "message": None}


def _refusal(exc: CRMError, source: dict) -> dict:
    if isinstance(exc, ValidationError):
        field, messages = next(iter(exc.fields.items()))
        column = source_column(field, source)
        return {"outcome": "refused", "column_name": column, "message": " ".join(messages)}
    return {"outcome": "refused", "column_name": None, "message": str(exc)}


def source_column(field: str, source: dict) -> str | None:
    """The file's column a field's message is about ("emails.1" -> the emails' column)."""
    return source.get(field) or source.get(field.split(".")[0])


def import_actor(record: Import) -> Actor:
    """Whoever uploaded the file, through this import (the audit trail's `via`)."""
    user = get_user(record.user_id)
    if user is None or not user.active:
        raise PermissionDenied("data.import", "The user who started this import is gone.")
    actor = user.as_actor()
    return Actor(id=actor.id, role=actor.role, name=actor.name, via=f"import:{record.id}")


def preview(import_id, actor: Actor) -> dict:
    """A dry run of the first PREVIEW_ROWS rows: what would be created, skipped and refused,
    made and rolled back (the same services run; nothing stays)."""
    record = get_import(import_id, actor)
    rows = repo.first_rows(record.id, PREVIEW_ROWS)
    through = Actor(id=actor.id, role=actor.role, name=actor.name, via=f"import:{record.id}")
    cells = {row.row_number: row.cells for row in rows}
    results = []
    try:
        with transaction(through):
            for outcome in import_batch(record, rows, through, {}):
                results.append(_problem(record, cells=cells[outcome["row_number"]], **outcome))
            raise _DryRun
    except _DryRun:
        pass
    counts = {key: sum(r["outcome"] == key for r in results) for key in OUTCOMES}
    return {"checked": len(results), "counts": counts, "refused": _refused(results)}


OUTCOMES = ("created", "updated", "skipped", "refused")


def _refused(results: list[dict]) -> list[dict]:
    return [r for r in results if r["outcome"] not in ("created", "updated")][:50]


class _DryRun(Exception):
    """Raised to roll a preview back."""


def refused_rows(record: Import, limit: int = 100) -> list[dict]:
    """The first refused rows of a finished import (its report)."""
    return [
        _problem(record, row.row_number, row.cells, row.outcome, row.column_name, row.message)
        for row in repo.refused_rows(record.id, limit)
    ]


def _problem(record: Import, row_number, cells, outcome, column_name, message) -> dict:
    """A row as the report shows it: number, column, that column's value, reason."""
    index = record.header.index(column_name) if column_name in record.header else None
    value = cells[index] if index is not None and index < len(cells) else ""
    return {
        "row_number": row_number,
        "outcome": outcome,
        "column_name": column_name,
        "value": value,
        "message": message,
    }


def progress(record: Import) -> dict:
    """Percent done, rows per second and time left of a running import."""
    percent = int(100 * record.done / record.total) if record.total else 0
    result = {"percent": percent, "per_second": 0, "left": ""}
    if record.started_at and record.done:
        elapsed = max((datetime.now(UTC) - record.started_at).total_seconds(), 0.001)
        per_second = record.done / elapsed
        seconds = int((record.total - record.done) / per_second)
        result["per_second"] = int(per_second)
        result["left"] = (
            f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
        )
    return result


def errors_csv(import_id, actor: Actor) -> Iterator[str]:
    """errors.csv: the file's columns plus row number and reason, a chunk at a time."""
    record = get_import(import_id, actor)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["Row", "Column", "Reason", *record.header])
    yield "\ufeff" + flush()
    for count, row in enumerate(repo.stream_refused_rows(record.id), start=1):
        writer.writerow([row.row_number, row.column_name or "", row.message or "", *row.cells])
        if count % 200 == 0:
            yield flush()
    yield flush()
