"""Saved column mappings: after mapping a file's columns the user may name the mapping; a later
upload of the same kind whose header matches gets it applied (pre-selected on the mapping page).

Team-wide, not per user: the file that comes back every week (the old CRM's export, the trade
show's lead list) has one right mapping, and whoever works it out once spares every rep who
imports the next one. A name belongs to whoever saved it; managers and admins may replace it."""

from __future__ import annotations

from sqlalchemy import select

from crm_web.core.actor import Actor
from crm_web.core.db import db, transaction
from crm_web.core.errors import ValidationError
from crm_web.core.permissions import allowed, authorize
from crm_web.imports import services
from crm_web.imports.models import Import, ImportMapping

NAME_MAX = 100


def _shape(header: list) -> list[str]:
    return [str(name).strip().casefold() for name in header]


def matching_mappings(record: Import) -> list[ImportMapping]:
    """The saved mappings of this import's kind whose header is the file's, newest first."""
    query = (
        select(ImportMapping)
        .where(ImportMapping.kind == record.kind)
        .order_by(ImportMapping.updated_at.desc(), ImportMapping.id.desc())
    )
    shape = _shape(record.header)
    return [saved for saved in db.session.scalars(query) if _shape(saved.header) == shape]


def mapping_named(kind: str, name: str) -> ImportMapping | None:
    query = select(ImportMapping).where(ImportMapping.kind == kind, ImportMapping.name == name)
    return db.session.scalars(query).first()


def offer_saved_mapping(import_id, actor: Actor) -> ImportMapping | None:
    """Apply the newest saved mapping matching a fresh upload's header (the mapping page shows
    it chosen); None when none matches and the suggested mapping stays."""
    with transaction(actor):
        record = services.get_import(import_id, actor)
        matches = matching_mappings(record)
        if matches and record.status == "uploaded":
            record.mapping = list(matches[0].mapping)
    return matches[0] if matches else None


def use_mapping(import_id, name: str, actor: Actor) -> Import:
    """Apply the saved mapping `name` (the shell's --mapping); it must fit the file's columns."""
    record = services.get_import(import_id, actor)
    saved = mapping_named(record.kind, name)
    if saved is None:
        raise ValidationError({"mapping": [f"No saved {record.kind} mapping is named “{name}”."]})
    if len(saved.mapping) != len(record.header):
        raise ValidationError(
            {
                "mapping": [
                    f"“{name}” maps {len(saved.mapping)} columns; the file has "
                    f"{len(record.header)}."
                ]
            }
        )
    return services.save_mapping(import_id, list(saved.mapping), actor)


def save_mapping(import_id, targets: list[str], name: str, actor: Actor, options=None) -> Import:
    """Save the import's mapping and `options` (services.save_mapping) and, given a `name`,
    keep the mapping for later files with this header. Editors; replacing someone else's name:
    managers and admins."""
    authorize(actor, "data.import")
    name = " ".join((name or "").split())
    with transaction(actor) as session:
        record = services.save_mapping(import_id, targets, actor, options)
        if not name:
            return record
        if len(name) > NAME_MAX:
            raise ValidationError({"save_as": [f"Use at most {NAME_MAX} characters."]})
        saved = mapping_named(record.kind, name)
        if saved is None:
            saved = ImportMapping(kind=record.kind, name=name)
            session.add(saved)
        elif str(saved.user_id) != actor.id and not allowed(actor, "records.archive_any"):
            raise ValidationError(
                {"save_as": ["Someone else saved a mapping of that name: choose another."]}
            )
        saved.header = list(record.header)
        saved.mapping = list(targets)
        saved.user_id = actor.id
        saved.updated_at = db.func.clock_timestamp()
    return record
