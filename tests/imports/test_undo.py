"""Undo an import: from its page, archive exactly what it created (its companies too), keep
the records someone changed since unless the user ticks them, one transaction, audited."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from crm_web.audit.models import AuditLog
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
from crm_web.contacts.services import update_contact_field
from crm_web.core.db import db
from crm_web.imports import jobs
from tests.support import make_contact, make_task, make_user, sign_in

FILE = (
    "First Name,Last Name,Email,Company\n"
    "Ann,Undo,ann@undo-test.example,Undo Widgets\n"
    "Bob,Undo,bob@undo-test.example,Undo Widgets\n"
    "Cy,Undo,cy@undo-test.example,\n"
)


def _run_import(client, text: str = FILE) -> int:
    """Upload, keep the suggested mapping, run the job here (no worker): the import's id."""
    files = {"kind": "contacts", "file": (io.BytesIO(text.encode()), "people.csv")}
    response = client.post("/imports", data=files, content_type="multipart/form-data")
    import_id = int(re.search(r"/imports/(\d+)/map", response.headers["Location"]).group(1))
    targets = {f"column-{i}": t for i, t in enumerate(["first_name", "last_name", "emails:1"])}
    client.post(f"/imports/{import_id}/map", data={**targets, "column-3": "company"})
    assert client.post(f"/imports/{import_id}/run").status_code == 303
    jobs.import_file(None, import_id)
    return import_id


def _live(model, **where) -> list:
    query = select(model).filter_by(**where).where(model.archived_at.is_(None))
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def test_undo_archives_what_the_import_created_and_keeps_what_changed(client, no_csrf):
    rep = sign_in(client, "rep")
    before = make_contact(first_name="Dee", last_name="Undo")
    import_id = _run_import(client)
    assert len(_live(Contact, last_name="Undo")) == 4
    assert _live(Company, name="Undo Widgets")
    bob = _live(Contact, first_name="Bob", last_name="Undo")[0]
    update_contact_field(bob.id, "job_title", "Buyer", bob.version, make_user("manager").as_actor())

    page = client.get(f"/imports/{import_id}")
    assert f'href="/imports/{import_id}/undo">Undo import' in page.get_data(as_text=True)
    confirm = client.get(f"/imports/{import_id}/undo").get_data(as_text=True)
    assert "created <strong>3</strong> contacts and <strong>1</strong> company." in confirm
    assert "1 record was changed since the import" in confirm
    assert "Bob Undo</a>: edited by" in confirm

    done = client.post(f"/imports/{import_id}/undo", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Import undone: 3 records archived. Kept 1 changed since the import." in text
    assert "of the records it created were archived" in text and "Undo import</a>" not in text
    names = sorted(c.first_name for c in _live(Contact, last_name="Undo"))
    assert names == ["Bob", "Dee"]  # the one changed since, and the one made by hand
    assert before.id in {c.id for c in _live(Contact, last_name="Undo")}
    assert not _live(Company, name="Undo Widgets")
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.via == f"undo:import:{import_id}")
    ).all()
    assert len(entries) == 3
    assert {e.user_id for e in entries} == {str(rep.id)}
    assert all("archived_at" in e.changes for e in entries)
    again = client.post(f"/imports/{import_id}/undo", follow_redirects=True)
    assert "This import was undone already." in again.get_data(as_text=True)


def test_undo_can_archive_the_records_changed_since_when_ticked(client, no_csrf):
    sign_in(client, "rep")
    import_id = _run_import(client)
    ann = _live(Contact, first_name="Ann", last_name="Undo")[0]
    update_contact_field(ann.id, "job_title", "CEO", ann.version, make_user("admin").as_actor())
    client.post(f"/imports/{import_id}/undo", data={"include_changed": "1"})
    assert not _live(Contact, last_name="Undo")


def test_only_the_importer_or_a_manager_may_undo(client, no_csrf):
    sign_in(client, "rep")
    import_id = _run_import(client)
    sign_in(client, "rep")
    assert client.get(f"/imports/{import_id}/undo").status_code == 403
    assert client.post(f"/imports/{import_id}/undo").status_code == 403
    assert len(_live(Contact, last_name="Undo")) == 3
    sign_in(client, "manager")
    client.post(f"/imports/{import_id}/undo")
    assert not _live(Contact, last_name="Undo")


def test_undo_keeps_a_company_others_now_use_and_a_contact_with_a_task(client, no_csrf):
    sign_in(client, "rep")
    import_id = _run_import(client)
    widgets = _live(Company, name="Undo Widgets")[0]
    make_contact(first_name="Eve", last_name="Handmade", company_id=widgets.id)
    cy = _live(Contact, first_name="Cy", last_name="Undo")[0]
    make_task("contact", cy.id, description="Call Cy about the renewal")

    confirm = client.get(f"/imports/{import_id}/undo").get_data(as_text=True)
    assert "2 records were changed since the import" in confirm
    assert (
        "Undo Widgets</a> (company): now has deals or contacts this import didn't bring" in confirm
    )
    assert "Cy Undo</a>: task created by" in confirm
    client.post(f"/imports/{import_id}/undo")
    assert sorted(c.first_name for c in _live(Contact, last_name="Undo")) == ["Cy"]
    assert _live(Company, name="Undo Widgets")
