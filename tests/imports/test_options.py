"""An import's options: a row matching a contact already in the CRM (same email in any case,
else same phone) is skipped, fills the contact's empty fields, overwrites them, or makes a new
contact anyway; undo puts an updated contact's fields back. The records' default owner and the
phone region of numbers without a country code are chosen with the mapping."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from sqlalchemy import func, select

from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.imports import jobs
from crm_web.imports.models import Import
from tests.support import counted, make_contact, make_user, sign_in

FILE = (
    "First Name,Last Name,Email,Job Title,Phone\n"
    "Ada,Byron,ADA@old.example,Countess,01 42 68 53 00\n"
    "New,Person,new@options.example,,\n"
)
TARGETS = ["first_name", "last_name", "emails:1", "job_title", "phones:1"]


def _upload(client) -> int:
    files = {"kind": "contacts", "file": (io.BytesIO(FILE.encode()), "people.csv")}
    response = client.post("/imports", data=files, content_type="multipart/form-data")
    return int(re.search(r"/imports/(\d+)/map", response.headers["Location"]).group(1))


def _run(client, **options) -> Import:
    """Upload, map with `options`, run the job here (no worker); the import, reread."""
    import_id = _upload(client)
    form = {f"column-{i}": target for i, target in enumerate(TARGETS)}
    response = client.post(f"/imports/{import_id}/map", data={**form, **options})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert client.post(f"/imports/{import_id}/run").status_code == 303
    jobs.import_file(None, import_id)
    return db.session.get(Import, import_id, populate_existing=True)


def _holding(email: str) -> list[Contact]:
    query = select(Contact).where(
        func.lower(Contact.emails[1]) == email, Contact.archived_at.is_(None)
    )
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


@pytest.mark.parametrize("how", ["skip", "fill", "overwrite", "create"])
def test_a_row_matching_a_contact_is_skipped_filled_overwritten_or_made_anyway(
    client, no_csrf, how
):
    me = sign_in(client, "manager")  # who reads field changes on the timeline (audit.read)
    ada = make_contact(first_name="Ada", last_name="Lovelace", emails=["Ada@old.example"])
    record = _run(client, duplicates=how, phone_region="FR")
    assert _holding("new@options.example")[0].owner_id == me.id  # no owner column: mine
    adas = _holding("ada@old.example")
    if how == "create":
        assert (record.created, record.updated, record.skipped) == (2, 0, 0)
        assert len(adas) == 2
        return
    [found] = adas
    assert found.id == ada.id
    before = ("Lovelace", None, [], ["Ada@old.example"])
    now = (found.last_name, found.job_title, found.phones, found.emails)
    if how == "skip":
        assert (record.created, record.updated, record.skipped) == (1, 0, 1)
        assert now == before
    elif how == "fill":  # the empty fields only; the number read as French
        assert (record.created, record.updated, record.skipped) == (1, 1, 0)
        assert now == ("Lovelace", "Countess", ["+33142685300"], ["Ada@old.example"])
    else:
        assert (record.created, record.updated, record.skipped) == (1, 1, 0)
        assert now == ("Byron", "Countess", ["+33142685300"], ["ADA@old.example"])
    if how != "skip":  # its history says so, as a hand edit's would, naming the import
        page = client.get(f"/contacts/{ada.id}").get_data(as_text=True)
        assert f"(through import #{record.id})" in page


def test_undo_puts_back_what_an_import_filled_in(client, no_csrf):
    sign_in(client, "manager")  # who reads the History card too
    ada = make_contact(first_name="Ada", last_name="Lovelace", emails=["ada@old.example"])
    record = _run(client, duplicates="fill", phone_region="FR")
    confirm = client.get(f"/imports/{record.id}/undo").get_data(as_text=True)
    assert "It also updated <strong>1</strong> contact already in the CRM" in confirm
    done = client.post(f"/imports/{record.id}/undo", follow_redirects=True)
    assert "Import undone: 1 record archived, 1 contact put back." in done.get_data(as_text=True)
    [found] = _holding("ada@old.example")
    assert (found.id, found.job_title, found.phones) == (ada.id, None, [])
    assert _holding("new@options.example") == []


def test_the_default_owner_and_bad_options_get_messages_beside_them(client, no_csrf):
    sign_in(client, "rep")
    casey = make_user("rep", name="Casey Closer")
    import_id = _upload(client)
    form = {f"column-{i}": target for i, target in enumerate(TARGETS)}
    bad = {"duplicates": "merge", "owner_id": str(uuid.uuid4()), "phone_region": "ZZ"}
    response = client.post(f"/imports/{import_id}/map", data={**form, **bad})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="duplicates-error">Choose what to do with a row that matches a contact.' in page
    assert 'id="owner_id-error">Choose someone who can sign in.' in page
    assert 'id="phone_region-error">Choose a country from the list.' in page
    record = _run(client, owner_id=str(casey.id))
    assert record.options == {"duplicates": "skip", "owner_id": str(casey.id)}
    assert {c.owner_id for c in _holding("new@options.example")} == {casey.id}


def test_a_batch_of_matched_rows_reads_its_contacts_in_one_query(client, no_csrf):
    """Fill and overwrite read the matched contacts once a batch: a query a row would make a
    big update import N+1 (update_contact's own locking read is the one a row needs)."""
    sign_in(client, "manager")
    people = [
        make_contact(first_name="Old", last_name=f"Name{i}", emails=[f"p{i}@batch.example"])
        for i in range(12)
    ]
    rows = "".join(f"New,Name{i},p{i}@batch.example,Buyer,\n" for i in range(12))
    files = {
        "kind": "contacts",
        "file": (io.BytesIO((FILE[: FILE.index("\n") + 1] + rows).encode()), "p.csv"),
    }
    response = client.post("/imports", data=files, content_type="multipart/form-data")
    import_id = int(re.search(r"/imports/(\d+)/map", response.headers["Location"]).group(1))
    form = {f"column-{i}": target for i, target in enumerate(TARGETS)}
    client.post(f"/imports/{import_id}/map", data={**form, "duplicates": "overwrite"})
    assert client.post(f"/imports/{import_id}/run").status_code == 303
    with counted() as statements:
        jobs.import_file(None, import_id)
    record = db.session.get(Import, import_id, populate_existing=True)
    assert record.updated == 12
    by_id = [
        s
        for s in statements
        if "FROM contacts" in s and "contacts.id =" in s and "FOR UPDATE" not in s
    ]
    assert by_id == []
    assert {p.job_title for p in map(_reread, people)} == {"Buyer"}


def _reread(contact: Contact) -> Contact:
    return db.session.get(Contact, contact.id, populate_existing=True)
