"""Custom fields: the admin's definitions page (/admin/custom-fields), and each record page's
"Custom fields" card, edited in place like the built-in fields."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.core.errors import ConflictError, ConstraintViolationError, ValidationError
from crm_web.core.forms import custom_value_form
from crm_web.core.htmx import render, saved
from crm_web.core.notices import changed_since_notice
from crm_web.custom_fields import services
from crm_web.custom_fields.models import CUSTOMISABLE_ENTITIES, FIELD_TYPES
from crm_web.records import fields as record_fields

bp = Blueprint("custom_fields", __name__)

ENTITY_LABELS = {"contact": "Contacts", "company": "Companies", "deal": "Deals"}
TYPE_LABELS = {
    "text": "Text",
    "number": "Number",
    "date": "Date",
    "enum": "Choice (options)",
    "boolean": "Yes / no",
}


def slug(label: str) -> str:
    """A field key from its label: "Annual revenue (€)" -> "annual_revenue"."""
    key = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return f"f_{key}" if key[:1].isdigit() else key


def _form_data(form) -> dict:
    data = {
        "entity_type": form.get("entity_type", ""),
        "label": form.get("label", "").strip(),
        "name": form.get("name", "").strip() or slug(form.get("label", "")),
        "field_type": form.get("field_type", ""),
        "required": form.get("required") == "on",
    }
    options = [part.strip() for part in form.get("enum_values", "").split(",")]
    if any(options):
        data["enum_values"] = [option for option in options if option]
    return data


def _page(form=None, errors=None, status=200):
    groups = [(e, ENTITY_LABELS[e], services.list_definitions(e)) for e in CUSTOMISABLE_ENTITIES]
    return render(
        "custom_fields/admin.html",
        groups=groups,
        entity_choices=[(e, ENTITY_LABELS[e]) for e in CUSTOMISABLE_ENTITIES],
        type_choices=[(t, TYPE_LABELS[t]) for t in FIELD_TYPES],
        type_labels=TYPE_LABELS,
        form=form or {},
        errors=errors or {},
        status=status,
    )


@bp.get("/admin/custom-fields")
@requires("custom_fields.manage")
def admin():
    """Every custom field, grouped by record type, with a form to define one."""
    return _page()


@bp.post("/admin/custom-fields")
@requires("custom_fields.manage")
def create():
    """Define a field (303 back to the list); the form again with messages (422)."""
    try:
        definition = services.create_definition(_form_data(request.form), current_actor())
    except ValidationError as exc:
        return _page(form=request.form, errors=exc.fields, status=422)
    except ConstraintViolationError as exc:
        return _page(form=request.form, errors={exc.field or "name": [exc.message]}, status=422)
    flash(f"{ENTITY_LABELS[definition.entity_type]} now have “{definition.label}”.", "success")
    return redirect(url_for(".admin"), 303)


@bp.post("/admin/custom-fields/<definition_id>/delete")
@requires("custom_fields.manage")
def delete(definition_id):
    """Delete a definition and its value on every record."""
    cleared = services.delete_definition(definition_id, current_actor())
    flash(f"Field deleted; its value was removed from {cleared} record(s).", "success")
    return redirect(url_for(".admin"), 303)


# Inline editing: /contacts/<id>/custom-fields/<name> and /companies/<id>/custom-fields/<name>,
# beside each area's /fields/<field> routes, with the same display / editor / save contract.


def _context(entity, record, definition, **extra):
    return {"entity": entity, "record": record, "definition": definition, **extra}


def field(entity, record_id, name):
    """A custom field's display (Escape and "keep theirs")."""
    record, definition = record_fields.record_field(entity, record_id, name, current_actor())
    return render("custom_fields/_field.html", **_context(entity, record, definition))


def field_edit(entity, record_id, name):
    """A custom field's editor, swapped over its display; with ?seen=<version> (the
    display's), it says who changed the field since that was shown."""
    actor = current_actor()
    record, definition = record_fields.record_field(entity, record_id, name, actor)
    seen = request.args.get("seen")
    change = record_fields.field_change_since(entity, record, name, seen, actor)
    # Stored values read as shown: a boolean as Yes or No (core.notices).
    context = _context(
        entity, record, definition, editing=True, notice=changed_since_notice(change)
    )
    return render("custom_fields/_field.html", **context)


def field_update(entity, record_id, name):
    """Save one custom field: display (200), editor with the message (422), conflict (409)."""
    actor = current_actor()
    _, definition = record_fields.record_field(entity, record_id, name, actor)
    form = custom_value_form(definition, services.check_value)(request.form)
    value, version = form.value.data or "", request.form.get("version")
    try:
        if not form.validate():
            raise ValidationError({f"custom_fields.{name}": form.value.errors})
        record, definition = record_fields.update_record_field(
            entity, record_id, name, value, version, actor
        )
    except ValidationError as exc:
        record, definition = record_fields.record_field(entity, record_id, name, actor)
        errors = exc.fields.get(f"custom_fields.{name}") or [exc.message]
        context = _context(entity, record, definition, editing=True, value=value, errors=errors)
        return render("custom_fields/_field.html", status=422, version=version, **context)
    except ConflictError as exc:
        _, definition = record_fields.record_field(entity, record_id, name, actor)
        context = _context(entity, exc.current, definition, conflict=True, yours=value)
        return render("custom_fields/_field.html", status=409, **context)
    return saved(render("custom_fields/_field.html", **_context(entity, record, definition)))


_VIEWS = (
    ("", "field", requires("records.read")(field), ["GET"]),
    ("/edit", "field_edit", requires("records.update")(field_edit), ["GET"]),
    ("", "field_update", requires("records.update")(field_update), ["PATCH", "PUT"]),
)
for _entity, _root in (("contact", "/contacts"), ("company", "/companies"), ("deal", "/deals")):
    for _suffix, _endpoint, _view, _methods in _VIEWS:
        bp.add_url_rule(
            f"{_root}/<record_id>/custom-fields/<name>{_suffix}",
            _endpoint,
            _view,
            defaults={"entity": _entity},
            methods=_methods,
        )
