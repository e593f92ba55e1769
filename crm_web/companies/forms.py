"""Company inputs: the create form and the inline editors' forms, made from fields.FIELDS."""

from __future__ import annotations

import wtforms

from crm_web.companies.fields import ADDRESS_PARTS, FIELDS
from crm_web.core.forms import form_class, service_data, value_form, with_custom_fields
from crm_web.custom_fields.services import check_value

# The create form: a wtforms.Form with a field per entry of FIELDS the create page asks.
CompanyForm: type[wtforms.Form] = form_class("CompanyForm", FIELDS.values())


def company_form(formdata=None, definitions=(), **data) -> wtforms.Form:
    """The create form, with an input per custom field in `definitions`."""
    return with_custom_fields(CompanyForm, definitions, check_value)(formdata, data=data)


def company_data(form) -> dict:
    """The create form's values as the service takes them: address parts in `address`."""
    data = service_data(form)
    data["address"] = {part: data.pop(part) for part in ADDRESS_PARTS}
    return data


def field_form(name: str, formdata=None) -> wtforms.Form | None:
    """The inline editor's one-field form for `name` (its input is "value"); None if no field."""
    field = FIELDS.get(name)
    return value_form(field)(formdata) if field else None
