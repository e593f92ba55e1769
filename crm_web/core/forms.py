"""Forms for every area: the field descriptor each area lists its fields with (one list feeds the
create form, the inline editors, the record page and the list columns), WTForms classes built
from that list, validators that run core.validation's checks, and the custom fields' inputs.

The classes are plain `wtforms.Form`, not Flask-WTF's `FlaskForm`: the app's CSRFProtect
already checks the token of every unsafe request, forms and HTMX PATCHes alike (the header from
<body hx-headers>), so a second per-form check would add nothing but a `csrf_token` field to
strip from the data; and a plain Form takes API JSON (`data=`) as easily as `request.form`.
Forms check shape and types only; the services check everything again (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import wtforms
from flask import current_app
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FormError

from crm_web.core import validation as v


class Check:
    """A WTForms validator running a core.validation check (`check(value, *args)`); its
    FieldError message becomes the field's. Blank values pass (see Required). On a list field
    each item is checked, and the refused items are kept in `field.invalid` so a template can
    mark just their inputs."""

    def __init__(self, check, *args):
        self.check, self.args = check, args

    def __call__(self, form, field):
        value = field.data
        if v.is_blank(value):
            return
        if isinstance(value, list):
            field.invalid = [item for item in value if self._message(item)]
            messages = [self._message(item) for item in field.invalid]
            if messages:
                raise FormError(" ".join(messages))
            return
        message = self._message(value)
        if message:
            raise FormError(message)

    def _message(self, value) -> str | None:
        try:
            self.check(value, *self.args)
        except v.FieldError as exc:
            return str(exc)
        return None


class Required:
    """Present and not blank, as the services' Checker means it (whitespace is blank)."""

    field_flags = {"required": True}

    def __init__(self, message: str = "This field is required."):
        self.message = message

    def __call__(self, form, field):
        if v.is_blank(field.data):
            raise StopValidation(self.message)


def phone(value) -> str:
    """core.validation.phone in this install's default region."""
    return v.phone(value, current_app.config.get("DEFAULT_PHONE_REGION", "US"))


class ListField(wtforms.Field):
    """Every value posted under the field's name (one input per email or phone), blanks
    dropped; `invalid` lists the refused ones after validation."""

    invalid: list | None = None

    def process_formdata(self, valuelist):
        self.data = [item for item in valuelist if isinstance(item, str) and item.strip()]

    def process_data(self, value):
        self.data = list(value or [])

    def pre_validate(self, form):
        """Past the cap, one message and the first values kept: a post of 10,000 emails must
        not come back as a page of 10,000 inputs each with its message."""
        count = len(self.data or [])
        if count > v.MAX_LIST_ITEMS:
            self.data = self.data[: v.MAX_LIST_ITEMS]
            raise StopValidation(
                f"At most {v.MAX_LIST_ITEMS} {self.label.text.lower()} (this had {count:,})."
            )


@dataclass(frozen=True)
class Field:
    """One field of an area, described once. `kind` picks its editor and its display (see the
    area's _macros.html and display.py); `sort` is its list column's sort key ("" for a column
    that does not sort), `column` whether the list shows it, `detail` whether the record page
    does, `create` whether the create form asks for it. `checks` are core.validation checks
    (with their arguments) the form runs; the service runs them again."""

    name: str
    label: str
    kind: str = "text"
    checks: tuple = ()
    required: bool = False
    column: bool = False
    sort: str = ""
    detail: bool = True
    create: bool = True
    empty: str = "Empty"
    input_type: str = "text"
    placeholder: str = ""
    suggestions: tuple = ()  # a <datalist> of common values (free text all the same)
    item: str = ""  # a list field's label for one of its inputs ("Email" 1, 2, …)

    @property
    def multiple(self) -> bool:
        return self.kind in ("emails", "phones")

    def form_field(self) -> wtforms.Field:
        """The unbound WTForms field: required first, then each check."""
        validators = [Required()] if self.required else []
        validators += [
            Check(*check) if isinstance(check, tuple) else Check(check) for check in self.checks
        ]
        field_class = ListField if self.multiple else wtforms.StringField
        return field_class(self.label, validators, render_kw={"type": self.input_type})


def owner_field(**changes) -> Field:
    """The owner of a contact, company or deal (the user responsible), as each area lists it."""
    return Field(
        "owner_id",
        "Owner",
        "owner",
        checks=(v.uuid_value,),
        column=True,
        empty="Unassigned",
        **changes,
    )


def list_columns(fields, *more, linked=()) -> tuple[tuple[str, str, str], ...]:
    """The list's header: (sort key, label, field name) per column field, then `more` such
    (sort key, label) pairs. The field name says which field the column's cells edit in place
    (lists.links.sort_headers); the fields named in `linked` link to the record instead."""
    columns = [
        (field.sort, field.label, "" if field.name in linked else field.name)
        for field in fields
        if field.column
    ]
    return (*columns, *((key, label, "") for key, label in more))


def form_class(name: str, fields, base=wtforms.Form) -> type[wtforms.Form]:
    """A form class with one WTForms field per descriptor in `fields` that the create form asks."""
    attrs = {field.name: field.form_field() for field in fields if field.create}
    return type(name, (base,), attrs)


@lru_cache(maxsize=256)
def value_form(field: Field) -> type[wtforms.Form]:
    """The one-field form of an inline editor: its input is named "value"."""
    return type(
        f"{field.name.title().replace('_', '')}ValueForm",
        (wtforms.Form,),
        {"value": field.form_field()},
    )


# Custom fields: inputs named custom_fields.<name>, the keys of the services' messages.


def custom_field(definition, check_value) -> wtforms.Field:
    """The unbound input of one custom field (`check_value(definition, value)` is the custom
    fields service's own check of one value)."""
    validators = [Required(f"{definition.label} is required.")] if definition.required else []
    validators.append(Check(lambda value: check_value(definition, value)))
    kw = {"type": "date"} if definition.field_type == "date" else {}
    if definition.field_type == "number":
        # A text input with a numeric keyboard: type=number would drop "abc" silently.
        kw["inputmode"] = "decimal"
    if definition.field_type in ("enum", "boolean"):
        # Drawn as a <select> (forms.row); a plain StringField, as SelectField's choices
        # change shape between WTForms versions and the service checks the choice anyway.
        kw["options"] = (
            [(o, o) for o in definition.enum_values or []]
            if definition.field_type == "enum"
            else [("true", "Yes"), ("false", "No")]
        )
    return wtforms.StringField(definition.label, validators, render_kw=kw)


def custom_fields_form(definitions, check_value) -> type[wtforms.Form]:
    """A form with an input per custom field definition, named after it."""
    attrs = {d.name: custom_field(d, check_value) for d in definitions}
    return type("CustomFieldsForm", (wtforms.Form,), attrs)


def custom_value_form(definition, check_value) -> type[wtforms.Form]:
    """The inline editor's one-field form for a custom field (its input is "value"). Blank is
    accepted: on a record page it removes the value (a required field then says so)."""
    return type(
        "CustomValueForm", (wtforms.Form,), {"value": custom_field(definition, check_value)}
    )


def with_custom_fields(form_cls, definitions, check_value) -> type[wtforms.Form]:
    """`form_cls` plus a `custom_fields` sub-form for `definitions` (none: `form_cls` itself)."""
    if not definitions:
        return form_cls
    sub = custom_fields_form(definitions, check_value)
    field = wtforms.FormField(sub, "Custom fields", separator=".")
    return type(form_cls.__name__, (form_cls,), {"custom_fields": field})


def add_errors(form, errors: dict[str, list[str]]) -> list[str]:
    """Show a service's ValidationError messages beside the form's fields; returns the
    messages no field of the form shows (for the banner above it)."""
    rest = []
    for key, messages in errors.items():
        field = form._fields.get(key)
        if field is None and key.startswith("custom_fields.") and "custom_fields" in form:
            field = form.custom_fields.form._fields.get(key.split(".", 1)[1])
        if field is None:
            rest.extend(messages)
        else:
            field.errors = [*field.errors, *(m for m in messages if m not in field.errors)]
    return rest


def service_data(form, optional=("owner_id",)) -> dict:
    """The form's values as a service takes them; a blank `optional` field is left out (the
    service's default applies, e.g. the owner is the one creating)."""
    return {k: val for k, val in form.data.items() if not (k in optional and v.is_blank(val))}
