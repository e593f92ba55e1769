"""A company's fields, in order: the one list the create form, the inline editors, the record
page and the list columns are made from (the view layer's; services keep the rules). Address
parts are fields of their own, stored together in `address`."""

from __future__ import annotations

from crm_web.core import validation as v
from crm_web.core.forms import Field, owner_field, phone

# Suggested in the industry input (a <datalist>): any other text is accepted too.
INDUSTRIES = (
    "Agriculture",
    "Automotive",
    "Construction",
    "Consulting",
    "Education",
    "Energy",
    "Financial services",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Logistics",
    "Manufacturing",
    "Media",
    "Non-profit",
    "Real estate",
    "Retail",
    "Software",
    "Telecommunications",
)

ADDRESS = (v.text, 255)

FIELDS = {
    field.name: field
    for field in (
        Field("name", "Name", checks=((v.text, 255),), required=True, column=True, sort="name"),
        Field("industry", "Industry", checks=((v.text, 100),), column=True, suggestions=INDUSTRIES),
        Field(
            "website",
            "Website",
            "url",
            checks=(v.url,),
            input_type="url",
            placeholder="https://example.com",
        ),
        Field(
            "phone",
            "Phone",
            "phone",
            checks=(phone,),
            input_type="tel",
            placeholder="+1 415 555 0100",
        ),
        Field("street", "Street", "address", checks=(ADDRESS,)),
        Field("city", "City", "address", checks=(ADDRESS,), column=True, sort="city"),
        Field("state", "State", "address", checks=(ADDRESS,)),
        Field("postal_code", "Postal code", "address", checks=(ADDRESS,)),
        Field("country", "Country", "address", checks=(ADDRESS,), column=True, sort="country"),
        owner_field(sort="owner"),
    )
}
LIST_FIELDS = tuple(field for field in FIELDS.values() if field.column)
ADDRESS_PARTS = tuple(name for name, field in FIELDS.items() if field.kind == "address")
