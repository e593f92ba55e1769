"""A deal's fields, in order: the one list the create form, the inline editors, the record page
and the list columns are made from (the view layer's; services keep the rules, e.g. that the
stage exists and the contact works for the deal's company). `kind` picks the editor and the
display in templates/deals/_macros.html: "company" the company picker, "contact", "stage" and
"owner" a <select> (views.py gives its choices), anything else a text input of `input_type`."""

from __future__ import annotations

from crm_web.core import validation as v
from crm_web.core.forms import Field, owner_field

FIELDS = {
    field.name: field
    for field in (
        Field(
            "title",
            "Title",
            checks=((v.text, 255),),
            required=True,
            column=True,
            sort="title",
        ),
        Field(
            "company_id",
            "Company",
            "company",
            checks=(v.uuid_value,),
            required=True,
            column=True,
            empty="No company",
        ),
        Field("contact_id", "Contact", "contact", checks=(v.uuid_value,), empty="No contact"),
        Field(
            "value", "Value", "money", checks=(v.money,), required=True, column=True, sort="value"
        ),
        Field("currency", "Currency", checks=(v.currency,), placeholder="USD"),
        Field(
            "stage",
            "Stage",
            "stage",
            checks=((v.text, 100),),
            required=True,
            column=True,
            sort="stage",
        ),
        # Each stage has its probability: a new deal takes its stage's (not asked on create).
        Field(
            "probability",
            "Probability",
            "percent",
            checks=((v.integer, 0, 100),),
            create=False,
            input_type="number",
        ),
        Field(
            "close_date",
            "Close date",
            "date",
            checks=(v.date,),
            column=True,
            sort="close_date",
            empty="No close date",
            input_type="date",
        ),
        # A new deal belongs to whoever creates it; the record page reassigns it.
        owner_field(create=False),
    )
}
LIST_FIELDS = tuple(field for field in FIELDS.values() if field.column)
