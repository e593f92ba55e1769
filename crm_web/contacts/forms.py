"""Contact inputs: the create form."""

from __future__ import annotations


def contact_data(form) -> dict:
    """The create form's fields as the service takes them (lists for emails and phones)."""
    data = {name: form.get(name, "") for name in ("first_name", "last_name", "company_id")}
    data["emails"] = [e for e in form.getlist("emails") if e.strip()]
    data["phones"] = [p for p in form.getlist("phones") if p.strip()]
    if form.get("owner_id"):
        data["owner_id"] = form["owner_id"]
    return data
