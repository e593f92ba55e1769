"""A contact's fields, in order: the one list the create form, the inline editors, the record
page and the list columns are made from (the view layer's; services keep the rules). Adding a
field: a column (models.py + a migration), the service's check, and a line here."""

from __future__ import annotations

from crm_web.core import validation as v
from crm_web.core.forms import Field, owner_field, phone

FIELDS = {
    field.name: field
    for field in (
        # The list shows both in one Name column (contacts.display, views.LIST_COLUMNS).
        Field("first_name", "First name", checks=((v.text, 255),), required=True),
        Field("last_name", "Last name", checks=((v.text, 255),), required=True),
        Field("job_title", "Job title", checks=((v.text, 255),), column=True),
        Field(
            "company_id",
            "Company",
            "company",
            checks=(v.uuid_value,),
            column=True,
            sort="company",
            empty="No company",
        ),
        Field(
            "emails",
            "Emails",
            "emails",
            checks=(v.email,),
            column=True,
            sort="email",
            empty="No email",
            input_type="email",
            placeholder="name@example.com",
            item="Email",
        ),
        Field(
            "phones",
            "Phones",
            "phones",
            checks=(phone,),
            column=True,
            sort="phone",
            empty="No phone",
            input_type="tel",
            placeholder="+1 415 555 0100",
            item="Phone",
        ),
        owner_field(sort="owner"),
    )
}
LIST_FIELDS = tuple(field for field in FIELDS.values() if field.column)
