"""Exports: every row the list's filters and search select (not one page), every field with
custom fields as columns, and cells a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from sqlalchemy import text

from crm_web.custom_fields.services import create_definition
from crm_web.imports.exports import neutralised
from tests.support import ADMIN, make_company, make_contact, make_deal, make_task, sign_in


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_export_holds_every_filtered_row_across_pages_with_all_fields(client):
    manager = sign_in(client, "manager")
    create_definition(
        {"entity_type": "contact", "label": "Shoe size", "name": "shoe_size", "field_type": "text"},
        ADMIN,
    )
    acme = make_company(name="Exportco")
    for n in range(60):  # more than one page of the list (50)
        make_contact(
            first_name=f"Ex{n}",
            last_name="Portable",
            emails=[f"ex{n}@exportco.example", f"second{n}@exportco.example"],
            phones=["+14155550100"],
            company_id=acme.id,
            owner_id=manager.id,
            custom_fields={"shoe_size": str(40 + n % 5)},
        )
    make_contact(first_name="Other", last_name="Portable", owner_id=manager.id)
    make_contact(first_name="Ex-owner", last_name="Portable")  # someone else's

    rows = _csv(client.get(f"/exports/contacts.csv?q=portable&owner={manager.id}&has_email=1"))
    assert len(rows) == 60
    first = next(r for r in rows if r["First Name"] == "Ex0")
    assert first["Email"] == "ex0@exportco.example"
    assert first["Email 2"] == "second0@exportco.example"
    assert first["Phone"] == "+14155550100"  # a plain number is left as it is
    assert first["Company"] == "Exportco"
    assert first["Owner"] == manager.email
    assert first["Shoe size"] == "40"


def _listed_ids(client, url: str) -> list[str]:
    """The ids of every row the list at `url` shows, following its Next links to the end."""
    ids = []
    while url:
        page = client.get(url).get_data(as_text=True)
        # A row's id: its data-id, or its bulk checkbox's value (core.display.row_start).
        ids += re.findall(
            r'<tr data-id="([^"]+)"|<tr data-version="\d+"><td><input type="checkbox" name="ids" value="([^"]+)"',
            page,
        )
        after = re.search(r'<a href="([^"]+)"[^>]*rel="next"', page)
        url = html.unescape(after.group(1)) if after else None
    return [found or checked for found, checked in ids]


def test_a_searched_export_holds_exactly_the_rows_of_all_the_lists_pages(client, session):
    from crm_web.contacts.repository import SEARCH_CAP

    sign_in(client, "manager")
    # Names that start with the term, and more other matches (their email holds it) than a
    # searched list pages through: it shows SEARCH_CAP of those.
    session.execute(
        text(
            "INSERT INTO contacts (id, first_name, last_name, emails, created_by, updated_by) "
            "SELECT gen_random_uuid(), 'Ann', CASE WHEN i <= 30 THEN 'Zebedee' || i ELSE 'Other' "
            "END, ARRAY['a' || i || '@zebedee.test'], 'test', 'test' "
            "FROM generate_series(1, :n) AS i"
        ),
        {"n": 30 + SEARCH_CAP + 20},
    )
    session.commit()
    for sort, expected in (("", 30 + SEARCH_CAP), ("updated", SEARCH_CAP)):
        listed = _listed_ids(client, f"/contacts/?q=zebedee&sort={sort}")
        exported = [
            r["ID"] for r in _csv(client.get(f"/exports/contacts.csv?q=zebedee&sort={sort}"))
        ]
        assert len(listed) == expected
        assert sorted(exported) == sorted(listed)


def test_formulas_are_neutralised_in_the_export(client):
    sign_in(client, "manager")
    make_company(name='=HYPERLINK("http://x","click")', industry="@SUM(A1)")
    make_company(name="+cmd|' /C calc'!A0", industry="-2+3")
    rows = _csv(client.get("/exports/companies.csv"))
    names = {r["Name"] for r in rows}
    assert '\'=HYPERLINK("http://x","click")' in names
    assert "'+cmd|' /C calc'!A0" in names
    assert {r["Industry"] for r in rows} >= {"'@SUM(A1)", "'-2+3"}


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (' "=1"', '\' "=1"'),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("-5", "-5"),
        ("+14155550100", "+14155550100"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
    ],
)
def test_neutralised_follows_owasp_including_its_known_bypasses(value, safe):
    assert neutralised(value) == safe


def test_exporting_is_a_permission_of_its_own(client):
    sign_in(client, "viewer")
    assert client.get("/exports/contacts.csv").status_code == 403
    assert "Export all as CSV" not in client.get("/contacts/").get_data(as_text=True)
    sign_in(client, "rep")
    assert client.get("/exports/companies.csv").status_code == 403
    sign_in(client, "manager")
    page = client.get("/contacts/?q=smith").get_data(as_text=True)
    assert 'href="/exports/contacts.csv?q=smith' in page


def _audited_exports(user) -> list:
    from sqlalchemy import select

    from crm_web.audit.models import AuditLog
    from crm_web.core.db import db

    query = select(AuditLog).where(
        AuditLog.entity_type == "export", AuditLog.user_id == str(user.id)
    )
    return list(db.session.scalars(query))


def test_the_deals_export_holds_every_deal_the_filtered_list_shows(client):
    manager = sign_in(client, "manager")
    firm = make_company(name="Dealexport Ltd")
    for n in range(55):  # more than a page of the list
        make_deal(title=f"Dealexport {n}", company_id=firm.id, stage="Lead", value="10.00")
    make_deal(title="Dealexport won", company_id=firm.id, stage="Qualified")
    make_deal(title="Other deal", company_id=firm.id, stage="Lead")
    make_deal(title='=HYPERLINK("http://x") Dealexport', company_id=firm.id, stage="Lead")

    page = client.get("/deals?q=dealexport&stage=Lead").get_data(as_text=True)
    link = re.search(r'href="(/exports/deals\.csv\?[^"]*)" download>Export all as CSV', page)
    assert "q=dealexport" in link.group(1) and "stage=Lead" in link.group(1)
    rows = _csv(client.get("/exports/deals.csv?q=dealexport&stage=Lead"))
    assert len(rows) == 56
    assert {r["Company"] for r in rows} == {"Dealexport Ltd"}
    assert '\'=HYPERLINK("http://x") Dealexport' in {r["Title"] for r in rows}
    first = next(r for r in rows if r["Title"] == "Dealexport 0")
    assert first["Stage"] == "Lead" and first["Value"] == "10.00"
    [entry] = _audited_exports(manager)
    assert entry.changes["kind"] == "deals"
    assert entry.changes["filters"] == {"q": "dealexport", "stage": "Lead"}
    assert entry.changes["row_count"] == 56


def test_the_tasks_export_holds_the_tasks_the_list_shows(client):
    manager = sign_in(client, "manager")
    contact = make_contact(first_name="Tess", last_name="Taskexport")
    for n in range(3):
        make_task("contact", contact.id, description=f"Taskexport call {n}", assignee_id=manager.id)
    make_task("contact", contact.id, description="Taskexport someone else's")
    make_task("contact", contact.id, description="Unrelated", assignee_id=manager.id)

    page = client.get("/tasks/?q=taskexport").get_data(as_text=True)
    assert 'href="/exports/tasks.csv?q=taskexport' in page
    # Nothing listed, nothing offered to export.
    assert "Export these tasks" not in client.get("/tasks/?q=zzqx").get_data(as_text=True)
    rows = _csv(client.get("/exports/tasks.csv?q=taskexport"))
    assert sorted(r["Task"] for r in rows) == [f"Taskexport call {n}" for n in range(3)]
    assert {r["Record"] for r in rows} == {"Tess Taskexport"}
    assert {r["Assignee"] for r in rows} == {manager.email}
    everyone = _csv(client.get("/exports/tasks.csv?q=taskexport&assignee=anyone"))
    assert len(everyone) == 4
    assert [e.changes["row_count"] for e in _audited_exports(manager)] == [3, 4]


def test_only_roles_with_data_export_see_the_deal_and_task_export(client):
    sign_in(client, "rep")
    assert client.get("/exports/deals.csv").status_code == 403
    assert client.get("/exports/tasks.csv").status_code == 403
    assert "Export all as CSV" not in client.get("/deals").get_data(as_text=True)
    assert "Export these tasks as CSV" not in client.get("/tasks/").get_data(as_text=True)
    viewer = sign_in(client, "viewer")
    assert client.get("/exports/deals.csv").status_code == 403
    assert _audited_exports(viewer) == []


TRICKY = [
    '=HYPERLINK("http://x")',
    '  "=1+1"',  # a formula after spaces and quotes
    "\t=1",
    "\r\n@SUM(A1)",
    "\u3000\uff1dcmd",  # full-width space and equals sign
    "\xa0-2+3",
    "-5",  # plain numbers stay as they are
    "+14155550100",
    "-12.50",
    "-5\n",
    "-٣",  # not a digit to a spreadsheet: neutralised
    'He said "hi", then left',
    "two\nlines",
    "comma, here",
    "Zoë Ñandú 東京",
    "a=b",
    "\\.",
]


def test_sql_neutralisation_gives_pythons_cell_for_every_tricky_value(session):
    import sqlalchemy as sa

    from crm_web.core.spreadsheet import FORMULA_CHARS, SPACES, neutralised_sql

    starts = [*SPACES, '"', "'", ""]
    values = [*TRICKY, *(s + f + "x" for s in starts for f in FORMULA_CHARS + "x0")]
    values += [*(s + "-5" for s in starts), "", None]
    cell = (
        sa.func.unnest(sa.literal(values, sa.ARRAY(sa.Text))).table_valued("v").render_derived().c.v
    )
    query = sa.select(cell, neutralised_sql(cell))
    for value, safe in session.execute(query):
        assert (safe or "") == neutralised(value), repr(value)


def test_spaces_are_what_python_calls_whitespace():
    from crm_web.core.spreadsheet import SPACES

    assert set(SPACES) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_the_contacts_export_is_csv_writers_output_byte_for_byte(client, session):
    """The rows PostgreSQL writes (COPY) are the bytes csv.writer wrote from each neutralised
    cell: quotes, commas, newlines, formulas, plain numbers, unicode, empty cells, times and
    custom fields of every type."""
    import sqlalchemy as sa

    from crm_web.accounts.models import User
    from crm_web.companies.models import Company
    from crm_web.contacts.models import Contact

    manager = sign_in(client, "manager")
    for name, kind in (("size", "text"), ("score", "number"), ("vip", "boolean"), ("met", "date")):
        create_definition(
            {"entity_type": "contact", "label": f"={name}", "name": name, "field_type": kind},
            ADMIN,
        )
    firm = make_company(name="=cmd|' /C calc'!A0")
    custom = [
        {"size": "=1+2", "score": -7, "vip": True, "met": "2026-01-31"},
        {"score": 2.5, "vip": False},
        {},
    ]
    for n, value in enumerate(TRICKY):
        contact = make_contact(
            first_name="First",
            last_name=f"Tricky{n:02d}",
            emails=[f"t{n}@tricky.example"] * 0 + ([f"t{n}@tricky.example"] if n % 2 else []),
            phones=["+14155550100", "+442071234567"] if n % 3 == 0 else [],
            company_id=firm.id if n % 2 else None,
            owner_id=manager.id if n % 4 else None,
            custom_fields=custom[n % 3],
        )
        # Raw values as an older version or a direct load may have left them (the forms strip).
        session.execute(
            sa.update(Contact)
            .where(Contact.id == contact.id)
            .values(first_name=value, job_title=value if n % 2 else None)
        )
    session.execute(
        sa.update(Contact)
        .where(Contact.last_name == "Tricky03")
        .values(archived_at=sa.func.now() - sa.text("interval '1 day'"))
    )
    session.commit()

    response = client.get("/exports/contacts.csv?q=tricky")
    assert response.status_code == 200
    body = response.get_data()
    header, _, rows = body.partition(b"\r\n")

    query = (
        sa.select(Contact, Company.name, User.email)
        .outerjoin(Company, Company.id == Contact.company_id)
        .outerjoin(User, User.id == Contact.owner_id)
        .where(Contact.last_name.like("Tricky%"), Contact.archived_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )
    expected = io.StringIO()
    writer = csv.writer(expected)
    for contact, company, owner in session.execute(query):
        session.refresh(contact)
        stamps = [t.isoformat(timespec="seconds") if t else "" for t in (
            contact.created_at, contact.updated_at, contact.archived_at)]  # fmt: skip
        values = contact.custom_fields
        cells = [
            contact.id, contact.first_name, contact.last_name, contact.job_title,
            *(contact.emails + [""])[:1], *(contact.phones + ["", ""])[:2],
            company, owner, *stamps,
            *(values.get(name, "") for name in ("size", "score", "vip", "met")),
        ]  # fmt: skip
        writer.writerow([neutralised(cell) for cell in cells])
    assert header.decode() == (
        "ID,First Name,Last Name,Job Title,Email,Phone,Phone 2,Company,Owner,Created,Updated,"
        "Archived,=size,=score,=vip,=met"
    )
    assert rows.decode() == expected.getvalue()
    assert len(_csv(response)) == len(TRICKY) - 1  # the archived one is not in the list
    assert b'\'=HYPERLINK(""http://x"")' in rows and b",-5," in rows and b",True," in rows
    with_bom = client.get("/exports/contacts.csv?q=tricky&bom=1").get_data()
    assert with_bom == "\ufeff".encode() + body


def test_a_download_cut_short_is_recorded_and_leaves_the_connection_usable(client, session):
    import sqlalchemy as sa

    from crm_web.imports.models import DataExport

    manager = sign_in(client, "manager")
    session.execute(
        sa.text(
            "INSERT INTO contacts (first_name, last_name, emails, created_by, updated_by) "
            "SELECT 'Cut', 'Short' || n, ARRAY['cut' || n || '@short.example'], 'test', 'test' "
            "FROM generate_series(1, 2000) AS n"
        )
    )
    session.commit()
    response = client.get("/exports/contacts.csv?q=short", buffered=False)
    chunks = iter(response.response)
    received = next(chunks) + next(chunks)  # the header, then the first ~64 kB of rows
    response.close()  # the browser gives up

    assert received.startswith(b"ID,First Name,Last Name")
    [record] = session.scalars(sa.select(DataExport).where(DataExport.user_id == manager.id))
    assert not record.finished and 0 < record.row_count < 2000
    assert client.get("/contacts/?q=short").status_code == 200
    assert len(_csv(client.get("/exports/contacts.csv?q=short"))) == 2000
