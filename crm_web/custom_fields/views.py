"""Custom fields: the admin's definitions page (/admin/custom-fields)."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.core.errors import ConstraintViolationError, ValidationError
from crm_web.core.htmx import render
from crm_web.custom_fields import services
from crm_web.custom_fields.models import CUSTOMISABLE_ENTITIES, FIELD_TYPES

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
