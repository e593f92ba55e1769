"""Record pages link a dozen records: id_url builds each page's URL once and puts the ids in,
and must give exactly what url_for gives, under any mount point, or fall back to it."""

import uuid

from flask import url_for
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_web.core.urls import id_url


@settings(max_examples=100)
@given(first=st.uuids(), second=st.uuids(), as_text=st.booleans())
def test_an_id_url_is_the_url_for_of_its_ids(app, first, second, as_text):
    ids = {"company_id": first, "contact_id": second}
    if as_text:
        ids = {name: str(value) for name, value in ids.items()}
    for root in ("", "/crm"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            assert id_url("contacts.detail", contact_id=ids["contact_id"]) == url_for(
                "contacts.detail", contact_id=ids["contact_id"]
            )
            assert id_url("deals.new", **ids) == url_for("deals.new", **ids)


def test_anything_but_an_id_goes_through_url_for(app):
    contact = uuid.uuid4()
    with app.test_request_context("/"):
        # No company: an empty argument, not an id.
        made = id_url("deals.new", company_id="", contact_id=contact)
        assert made == url_for("deals.new", company_id="", contact_id=contact)
        assert id_url("contacts.detail", contact_id="a/b?c") == url_for(
            "contacts.detail", contact_id="a/b?c"
        )
