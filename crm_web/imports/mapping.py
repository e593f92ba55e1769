"""Which field each column of an upload goes to: the targets a kind of record offers, and the
suggestion from the header names other CRMs export (Outlook, Google, HubSpot, Salesforce)."""

from __future__ import annotations

import re

from crm_web.custom_fields.services import list_definitions

IGNORE = ""
# How many extra emails / phones a mapping offers ("emails:2" … ).
EXTRA = 5

BUILT_IN = {
    "contacts": [
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("full_name", "Full name (split into first and last)"),
        ("job_title", "Job title"),
        ("emails:1", "Email"),
        *[(f"emails:{n}", f"Email {n}") for n in range(2, EXTRA + 1)],
        ("phones:1", "Phone"),
        *[(f"phones:{n}", f"Phone {n}") for n in range(2, EXTRA + 1)],
        ("company", "Company (matched by name, created if new)"),
        ("owner", "Owner (a user's email or name)"),
    ],
    "companies": [
        ("name", "Name"),
        ("website", "Website"),
        ("phone", "Phone"),
        ("industry", "Industry"),
        ("address.street", "Street"),
        ("address.city", "City"),
        ("address.state", "State / region"),
        ("address.postal_code", "Postal code"),
        ("address.country", "Country"),
        ("owner", "Owner (a user's email or name)"),
    ],
}
# An owner column, as other CRMs name it (HubSpot "Contact Owner", Salesforce "Account Owner").
OWNER_HEADERS = ("owner", "owneremail", "ownername", "recordowner", "assignedto", "salesrep")

# Header names (lower-cased, only letters and digits kept) -> target.
SYNONYMS = {
    "contacts": {
        "firstname": "first_name",
        "givenname": "first_name",
        "forename": "first_name",
        "first": "first_name",
        "lastname": "last_name",
        "surname": "last_name",
        "familyname": "last_name",
        "last": "last_name",
        "name": "full_name",
        "fullname": "full_name",
        "contactname": "full_name",
        "displayname": "full_name",
        "jobtitle": "job_title",
        "title": "job_title",
        "position": "job_title",
        "role": "job_title",
        "email": "emails:1",
        "emailaddress": "emails:1",
        "primaryemail": "emails:1",
        "workemail": "emails:1",
        "email1": "emails:1",
        "email1value": "emails:1",
        "phone": "phones:1",
        "phonenumber": "phones:1",
        "businessphone": "phones:1",
        "workphone": "phones:1",
        "mobilephone": "phones:2",
        "mobile": "phones:2",
        "mobilephonenumber": "phones:2",
        "cellphone": "phones:2",
        "homephone": "phones:3",
        "phone1value": "phones:1",
        "company": "company",
        "companyname": "company",
        "accountname": "company",
        "account": "company",
        "organization": "company",
        "organisation": "company",
        "organization1name": "company",
        "employer": "company",
    },
    "companies": {
        "name": "name",
        "companyname": "name",
        "accountname": "name",
        "organization": "name",
        "organisation": "name",
        "company": "name",
        "website": "website",
        "web": "website",
        "url": "website",
        "domain": "website",
        "companydomainname": "website",
        "phone": "phone",
        "phonenumber": "phone",
        "businessphone": "phone",
        "industry": "industry",
        "street": "address.street",
        "address": "address.street",
        "streetaddress": "address.street",
        "billingstreet": "address.street",
        "city": "address.city",
        "billingcity": "address.city",
        "state": "address.state",
        "region": "address.state",
        "stateregion": "address.state",
        "postalcode": "address.postal_code",
        "zip": "address.postal_code",
        "zipcode": "address.postal_code",
        "country": "address.country",
        "countryregion": "address.country",
    },
}
for _kind, _own in (
    ("contacts", ("contactowner", "leadowner")),
    ("companies", ("accountowner", "companyowner")),
):
    SYNONYMS[_kind].update(dict.fromkeys((*OWNER_HEADERS, *_own), "owner"))
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{7,}$")


def _entity(kind: str) -> str:
    return "contact" if kind == "contacts" else "company"


def targets(kind: str) -> list[tuple[str, str]]:
    """(target, label) choices for a column: the fields, the custom fields, then ignore."""
    custom = [
        (f"cf:{d.name}", f"{d.label} (custom field)") for d in list_definitions(_entity(kind))
    ]
    return [*BUILT_IN[kind], *custom, (IGNORE, "Don't import")]


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _numbered_target(kind: str, key: str) -> str | None:
    """ "Email 2", "E-mail 3 Address", "Phone 4" -> emails:2, phones:4 (contacts)."""
    if kind != "contacts":
        return None
    found = re.fullmatch(r"(e?mail|phone)(\d)(address|number|value)?", key)
    if found and 1 <= int(found.group(2)) <= EXTRA:
        field = "emails" if "mail" in found.group(1) else "phones"
        return f"{field}:{found.group(2)}"
    return None


def suggest(kind: str, header: list[str], samples: list[list[str]]) -> list[str]:
    """A target per column: from its header name, else from what its values look like; each
    target used once (a second "Email" column becomes Email 2)."""
    custom = {_key(d.label): f"cf:{d.name}" for d in list_definitions(_entity(kind))}
    custom.update({_key(d.name): f"cf:{d.name}" for d in list_definitions(_entity(kind))})
    synonyms = SYNONYMS[kind]
    used: set[str] = set()
    result = []
    for index, name in enumerate(header):
        key = _key(name.replace("E-mail", "Email").replace("e-mail", "email"))
        target = custom.get(key) or synonyms.get(key) or _numbered_target(kind, key)
        if target is None:
            target = _from_values(kind, [row[index] for row in samples if index < len(row)])
        target = _free(target, used) if target else IGNORE
        if target:
            used.add(target)
        result.append(target)
    if "full_name" in used and {"first_name", "last_name"} <= used:
        result = [IGNORE if t == "full_name" else t for t in result]
    return _closed_up(result)


def _closed_up(result: list[str]) -> list[str]:
    """Emails and phones numbered from 1 without gaps, in their order ("Mobile Phone" alone is
    the phone, not phone 2)."""
    for field in ("emails", "phones"):
        numbers = sorted(int(t.split(":")[1]) for t in result if t.startswith(f"{field}:"))
        renumber = {f"{field}:{old}": f"{field}:{new}" for new, old in enumerate(numbers, 1)}
        result = [renumber.get(t, t) for t in result]
    return result


def _from_values(kind: str, values: list[str]) -> str | None:
    values = [value.strip() for value in values if value.strip()]
    if not values:
        return None
    if all(EMAIL_LIKE.match(value) for value in values):
        return "emails:1" if kind == "contacts" else None
    if all(PHONE_LIKE.match(value) for value in values):
        return "phones:1" if kind == "contacts" else "phone"
    return None


def _free(target: str, used: set[str]) -> str:
    """The target, or the next free numbered one (emails:1 taken -> emails:2)."""
    if target not in used:
        return target
    if ":" in target and not target.startswith("cf:"):
        field = target.split(":")[0]
        for n in range(1, EXTRA + 1):
            if f"{field}:{n}" not in used:
                return f"{field}:{n}"
    return IGNORE
