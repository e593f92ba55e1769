"""Contact inputs: the create form and the inline editors' forms."""

from __future__ import annotations

import wtforms

from crm_web.contacts.fields import FIELDS
from crm_web.core.forms import form_class, value_form, with_custom_fields
from crm_web.custom_fields.services import check_value

# The create form: a wtforms.Form with a field per entry of FIELDS the create page asks.
ContactForm: type[wtforms.Form] = form_class("ContactForm", FIELDS.values())


def contact_form(formdata=None, definitions=(), **data) -> wtforms.Form:
    """The create form, with an input per custom field in `definitions`."""
    return with_custom_fields(ContactForm, definitions, check_value)(formdata, data=data)


def field_form(name: str, formdata=None) -> wtforms.Form | None:
    """The inline editor's one-field form for `name` (its input is "value"); None if no field."""
    field = FIELDS.get(name)
    return value_form(field)(formdata) if field else None
