"""Routes every record page has: its History card (register_history), and for a record type
whose fields all edit one way (contacts, companies; DESIGN §6) the click-to-edit routes
(FieldRoutes): a field's display, its editor (saying what changed since the page was drawn) and
its save: the display (200), the editor with the message (422), or both values side by side
when someone else saved first (409); a value another live record has is refused (409) in the
editor, with links to those records and a "Save anyway" button. Deals have their own (stages, dependent fields out of band).
The record areas' list pages take their filter pickers from here too (list_pickers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.contacts.services import list_choices
from crm_web.core.errors import ConflictError, DuplicateError, ValidationError
from crm_web.core.forms import add_errors
from crm_web.core.htmx import render, saved
from crm_web.core.notices import changed_since_notice, owner_shown
from crm_web.core.permissions import authorize_owner_change
from crm_web.core.repository import as_uuid
from crm_web.records import pages
from crm_web.records.timeline_display import timeline_card, timeline_entries, timeline_page


def register_history(bp: Blueprint, entity: str, url: str) -> None:
    """The Timeline card's entries (`url`, e.g. "/<contact_id>/history"), fetched again after a
    save on the record page; with ?before=<cursor>, the older page that "Show older" appends;
    with ?timeline=all, a company's with its contacts' and deals' activity, and with ?card=1
    the whole card (its toggle swaps the card for the other)."""

    def history(**ids):
        (record_id,) = ids.values()
        before, related = request.args.get("before"), request.args.get("timeline") == "all"
        page = pages.timeline(entity, record_id, current_actor(), before=before, related=related)
        return render(
            "records/timeline.html",
            timeline=page,
            url=request.path,
            older_page=before is not None,
            toggle=request.args.get("card") == "1",
            page_url=url_for(f"{bp.name}.detail", **ids),
        )

    bp.add_url_rule(url, "history", requires("records.read")(history))
    # The card, its list and a page of it: the same functions for every area.
    bp.add_app_template_global(timeline_card, "timeline_card")
    bp.add_app_template_global(timeline_entries, "timeline_entries")
    bp.add_app_template_global(timeline_page, "timeline_page")


def create_record(form, form_page, create, duplicate_note: str):
    """A valid create form's save: `create(form, refuse_duplicates)` -> (name, URL) of the new
    record, then that URL (303) with a flash. A likely duplicate is refused unless the user ticked
    "Create anyway" (allow_duplicate): the form again, listing them (409); a ValidationError: the
    form again with messages beside the fields (422). `form_page(form, status, message, refused=)`
    draws the form; `duplicate_note` ends the flash of a record created anyway."""
    confirmed = bool(request.form.get("allow_duplicate"))
    try:
        name, url = create(form, not confirmed)
    except DuplicateError as exc:
        add_errors(form, exc.fields)
        # The warning under the form says it all (and links the other records).
        return form_page(form, 409, refused=exc.duplicates)
    except ValidationError as exc:
        return form_page(form, 422, " ".join(add_errors(form, exc.fields)))
    if confirmed:
        flash(f"Created {name}, though {duplicate_note}.", "warning")
    else:
        flash(f"Created {name}.", "success")
    return redirect(url, 303)


def purge_record(delete: Callable, record_id, entity: str, index_endpoint: str):
    """Delete a record for good with `delete` (records.operations: admins, its service checks
    records.purge), then back to the archived list of its kind."""
    delete(record_id, current_actor())
    flash(f"{entity.capitalize()} deleted for good.", "success")
    return redirect(url_for(index_endpoint, archived="1"), 303)


def _no_label(field: str, value: str) -> None:
    return None


@dataclass(frozen=True)
class FieldRoutes:
    entity: str  # "contact": the URL's <contact_id>, the template's `contact`
    template: str  # renders the display, the editor or the conflict of `field`
    fields: Mapping
    field_form: Callable  # (field, form data) -> a WTForms form with `value`, or None
    view: Callable  # (record_id, actor) -> the record as its fields show it
    # (record_id, field, value, version, actor, allow_duplicate=) -> the saved record
    update: Callable
    change_since: Callable  # (record, field, seen version, actor) -> what changed, or None
    yours_label: Callable = _no_label  # (field, value) -> how a conflict shows "yours"

    def register(self, bp: Blueprint) -> None:
        url = f"/<{self.entity}_id>/fields/<field>"
        bp.add_url_rule(url, "field", requires("records.read")(self.display))
        bp.add_url_rule(f"{url}/edit", "field_edit", requires("records.update")(self.edit))
        bp.add_url_rule(
            url, "field_update", requires("records.update")(self.save), methods=["PATCH", "PUT"]
        )

    def _known(self, field: str) -> str:
        if field not in self.fields:
            abort(404)
        return field

    def _render(self, record, field, status=200, choices=None, **extra):
        return render(
            self.template,
            status=status,
            field=field,
            compact=request.values.get("compact") == "1",
            **{self.entity: record},
            **(choices or list_choices()),
            **extra,
        )

    def display(self, field, **ids):
        """A field's display (Escape and "keep theirs" swap it back over the editor)."""
        (record_id,) = ids.values()
        return self._render(self.view(record_id, current_actor()), self._known(field))

    def edit(self, field, **ids):
        """A field's editor, swapped over its display; with ?seen=<version> (the display's), it
        says who changed the field since that version was shown."""
        (record_id,) = ids.values()
        actor, field, choices = current_actor(), self._known(field), list_choices()
        record = self.view(record_id, actor)
        if field == "owner_id":
            authorize_owner_change(actor, record)  # the save would be refused: no editor
        change = self.change_since(record, field, request.args.get("seen"), actor)
        shown = owner_shown(choices["owners"]) if field == "owner_id" else None
        notice = changed_since_notice(change, shown)
        return self._render(record, field, choices=choices, editing=True, notice=notice)

    def save(self, field, **ids):
        (record_id,) = ids.values()
        form = self.field_form(self._known(field), request.form) or abort(404)
        value, version = form.value.data, request.form.get("version")
        allow_duplicate = bool(request.form.get("allow_duplicate"))
        try:
            if not form.validate():
                raise ValidationError({field: form.value.errors})
            record = self.update(
                record_id, field, value, version, current_actor(), allow_duplicate=allow_duplicate
            )
        except DuplicateError as exc:
            # The editor again, saying whose it is already (links), with "Save anyway".
            refused = [
                (url_for(f"{request.blueprint}.detail", **{f"{self.entity}_id": id}), name)
                for id, name in exc.duplicates
            ]
            record = self.view(record_id, current_actor())
            had = getattr(record, field, None) or []
            return self._render(
                record,
                field,
                status=409,
                editing=True,
                value=value,
                version=version,
                errors=exc.fields.get(field) or [exc.message],
                refused=refused,
                # A list marks only the values it did not have (one of them is the duplicate).
                invalid=[item for item in value if item not in had]
                if isinstance(value, list)
                else None,
            )
        except ValidationError as exc:
            errors = exc.fields.get(field) or [exc.message]
            return self._render(
                self.view(record_id, current_actor()),
                field,
                status=422,
                editing=True,
                value=value,
                version=version,
                errors=errors,
                invalid=getattr(form.value, "invalid", None),
            )
        except ConflictError as exc:
            label = self.yours_label(field, value)
            return self._render(
                exc.current, field, 409, conflict=True, yours=value, yours_label=label
            )
        return saved(self._render(record, field))


def page_read_with_user(kind: str, record_id, related: bool = False):
    """The record page's row and lists its signed-in user's statement read (web.py's loader:
    records.pages.signed_in_with_record_page), or None; taken out of `g`, as list_pickers'."""
    read = g.pop("record_page", None)
    if read is None or read[0] != (kind, as_uuid(record_id), related):
        return None
    return read[1]


def list_pickers() -> dict:
    """A full list page's filter pickers (records.pages.list_pickers): those its signed-in
    user's statement read (web.LISTS_WITH_PICKERS), taken out of `g` so that a context which
    outlives the request (a test's) never offers them to the next one."""
    return pages.list_pickers(g.pop("list_pickers", None))
