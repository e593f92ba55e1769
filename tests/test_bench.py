"""The bench's bare app (crm_web/tools/bare_app.py) serves every page `make bench` compares the
product's against, showing the same rows: a yardstick that stopped serving (or served empty
pages) would make every ratio meaningless."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import make_url, text
from werkzeug.serving import make_server

from crm_web.companies import views as company_views
from crm_web.contacts import views as contact_views
from crm_web.core.db import db
from crm_web.deals import views as deal_views
from crm_web.tools import bench
from crm_web.tools.bare_app import create_bare_app
from crm_web.tools.bench import IN_APP_BASELINE, bare_pages, in_app_targets, pages
from tests.support import make_company, make_contact, make_deal, make_note, make_task, make_user


@pytest.fixture
def committed_rows(app):
    """A company, a contact with a deal, a task and a note, committed: the bare app reads through
    its own connections. Deleted afterwards (with their history)."""
    with app.app_context():
        company = make_company(name="Yardstick Works")
        contact = make_contact(
            first_name="Ada",
            last_name="Yardstick",
            company_id=str(company.id),
            emails=["ada.yardstick@example.com"],
        )
        deal = make_deal(title="Yardstick licence", company_id=company.id, contact_id=contact.id)
        task = make_task("contact", contact.id, description="Call Ada back", due_date="2000-01-03")
        note = make_note("contact", contact.id, content="Met Ada at the fair")
        db.session.commit()
        ids = {
            "company": company.id,
            "contact": contact.id,
            "deal": deal.id,
            "task": task.id,
            "note": note.id,
        }
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
        db.session.remove()
    yield ids, url.render_as_string(hide_password=False)
    with app.app_context(), db.engine.begin() as conn:
        every = list(ids.values())
        conn.execute(text("DELETE FROM notes WHERE id = :id"), {"id": ids["note"]})
        conn.execute(text("DELETE FROM tasks WHERE id = :id"), {"id": ids["task"]})
        conn.execute(text("DELETE FROM deals WHERE id = :id"), {"id": ids["deal"]})
        conn.execute(text("DELETE FROM contacts WHERE id = :id"), {"id": ids["contact"]})
        conn.execute(text("DELETE FROM companies WHERE id = :id"), {"id": ids["company"]})
        conn.execute(text("DELETE FROM audit_logs WHERE entity_id = ANY(:ids)"), {"ids": every})


def test_the_bare_app_serves_every_counterpart_page_with_the_rows(committed_rows):
    ids, url = committed_rows
    bare = create_bare_app(url)
    client = bare.test_client()
    try:
        contact = type("Sample", (), {"id": ids["contact"], "first_name": "Ada"})
        contact.last_name, contact.owner_id = "Yardstick", None
        # Every bare path the bench measures answers 200 (the bench stops on a failed request).
        for bare_path in bare_pages(contact).values():
            assert client.get(bare_path).status_code == 200, bare_path
        # …and each shows what the product's page shows.
        assert "Yardstick Works" in client.get("/contacts/").text
        assert "ada.yardstick@example.com" in client.get("/contacts/?q=ardsti").text
        record = client.get(f"/contacts/{ids['contact']}").text
        for shown in ("Ada Yardstick", "Yardstick licence", "Call Ada back", "Met Ada at the fair"):
            assert shown in record
        assert "create task\nCall Ada back" in record  # on its timeline, with its title
        assert "Call Ada back" in client.get("/tasks/").text  # the earliest due comes first
        assert "Yardstick Works" in client.get("/companies/").text
        assert "Yardstick licence" in client.get("/deals/").text
        board = client.get("/deals/board").text
        assert "Yardstick licence" in board and "1200.00 USD" in board
        assert client.get("/contacts/not-an-id").status_code == 404
        # The API's counterparts answer JSON with the same rows and their custom fields.
        listed = client.get("/api/contacts").json["data"]
        assert "Yardstick" in [row["last_name"] for row in listed]
        found = client.get("/api/customers?search=ardsti").json["data"]
        assert [row["company"] for row in found] == ["Yardstick Works"]
        one = client.get(f"/api/contacts/{ids['contact']}").json
        assert (one["last_name"], one["custom_fields"]) == ("Yardstick", {})
        assert client.get("/api/contacts/not-an-id").status_code == 404
        # The global search's counterpart finds by name, typo and email fragment, every kind.
        for term in ("yardstick", "Adda Yardstcik", "ada.yards"):
            assert "Ada Yardstick" in client.get(f"/search?q={term}").text, term
        found = client.get("/search?q=yardstick").text
        assert "Yardstick Works" in found and "Yardstick licence" in found
    finally:
        bare.extensions["bare_pool"].close()


def test_the_bare_lists_show_the_product_lists_columns(committed_rows):
    """A bare list of fewer columns (the company list once skipped the contact counts, a
    subquery a row) does less work and flatters the product's ratio."""
    ids, url = committed_rows
    bare = create_bare_app(url)
    try:
        client = bare.test_client()
        for path, columns in (
            ("/contacts/", contact_views.LIST_COLUMNS),
            ("/companies/", company_views.LIST_COLUMNS),
            ("/deals/", deal_views.LIST_COLUMNS),
        ):
            shown = re.findall(r"<th>([^<\n]+)", client.get(path).text)
            assert shown == [label for _, label, _ in columns], path
        row = client.get("/companies/").text.split("Yardstick Works</a>")[1].split("<tr>")[0]
        assert "<td>1<td>" in row  # its one contact, counted
    finally:
        bare.extensions["bare_pool"].close()


def test_every_bare_counterpart_is_a_page_the_bench_measures():
    """A page renamed in bench.pages() without its counterpart would silently lose its ratio."""
    contact = type("Sample", (), {"id": "c1", "first_name": "Ada", "last_name": "Turing"})
    contact.owner_id = None
    measured = {path for _, path, _ in pages(contact)}
    assert set(bare_pages(contact)) <= measured


def test_the_bare_record_page_draws_as_many_timeline_entries_as_the_product():
    """A longer or shorter bare timeline would skew the record page's ratio."""
    from crm_web.records.timeline import PAGE_SIZE
    from crm_web.tools.bare_app import HISTORY, TIMELINE_PAGE

    assert TIMELINE_PAGE == PAGE_SIZE
    assert HISTORY.endswith(f"LIMIT {PAGE_SIZE + 1}")


def test_the_bare_record_page_reads_as_many_tasks_and_notes_as_the_product():
    from crm_web.activities.services import RECORD_LISTS
    from crm_web.tools.bare_app import DONE_SHOWN, NOTES_SHOWN, OPEN_SHOWN

    sizes = {name: listed.size for name, listed in RECORD_LISTS.items()}
    assert sizes == {"open": OPEN_SHOWN, "done": DONE_SHOWN, "notes": NOTES_SHOWN}


def test_the_pages_held_to_the_in_app_baseline_are_measured_beside_it():
    """Issue 11's pages are compared with the in-app baseline row: each must be a page the bench
    measures, or its table would silently lose the row."""
    sample = type("Sample", (), {"id": "0f0e0d0c-0b0a-4908-8706-050403020100"})
    sample.first_name, sample.last_name, sample.owner_id = "Ada", "Yardstick", None
    measured = [path for _, path, _ in pages(sample)]
    assert IN_APP_BASELINE in measured
    assert in_app_targets(sample) and set(in_app_targets(sample)) <= set(measured)


def test_the_bare_record_page_draws_what_the_products_shows_of_each_list(committed_rows):
    """The statements read one row more than a card shows (to know whether there are more):
    drawn whole, the bare page showed a task, a note and a Timeline entry more than the
    product's, more work that flattered the product's ratio."""
    from types import SimpleNamespace as Row

    from crm_web.tools.bare_app import DONE_SHOWN, NOTES_SHOWN, OPEN_SHOWN, SHOWN, TIMELINE_PAGE

    _, url = committed_rows
    bare = create_bare_app(url)
    try:
        contact = Row(job_title="", company="", emails=[], phones=[], owner="", custom_fields={})
        contact.created_at, contact.updated_at = "Made 2025-04-14", "Changed 2026-02-09"

        def task(status, n):
            return Row(
                description=f"{status} task {n}", due_date=None, status=status, priority="high",
                assignee="Robin Assignee",
            )  # fmt: skip

        tasks = [task("open", n) for n in range(OPEN_SHOWN + 1)]
        tasks += [task("closed", n) for n in range(DONE_SHOWN + 1)]
        notes = [
            Row(content=f"note {n}", author="Nell Author", created_at="2026-12-01")
            for n in range(NOTES_SHOWN + 1)
        ]
        history = [
            Row(timestamp=n, who="", action="update", entity_type="contact", task=None, note=None)
            for n in range(TIMELINE_PAGE + 1)
        ]
        with bare.app_context():
            page = bare.jinja_env.get_template("contact.html").render(
                title="Ada", c=contact, deals=[], tasks=tasks, notes=notes, history=history,
                shown=SHOWN,
            )  # fmt: skip
        assert page.count(" task ") == OPEN_SHOWN + DONE_SHOWN
        assert f"open task {OPEN_SHOWN - 1}" in page and f"open task {OPEN_SHOWN}" not in page
        assert page.count("\nnote ") == NOTES_SHOWN
        # What the product's cards show beside each task and note, and its details' dates: a
        # bare page without them read and drew less, which flattered the product's ratio.
        assert page.count("high Robin Assignee") == OPEN_SHOWN + DONE_SHOWN
        assert page.count("Nell Author 2026-12-01") == NOTES_SHOWN
        assert "Made 2025-04-14" in page and "Changed 2026-02-09" in page
        assert page.count("update contact\n") == TIMELINE_PAGE
        for more in ("Show more tasks", "Show older notes", "Show older</a>"):
            assert more in page
    finally:
        bare.extensions["bare_pool"].close()


@pytest.fixture
def bench_user(app):
    """The user the bench signs in as, committed: the served app reads it on its own thread."""
    with app.app_context():
        user = make_user("admin", email=bench.EMAIL, name="Bench", password=bench.PASSWORD)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    yield user_id
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_logs WHERE entity_id = :id"), {"id": user_id})
        conn.execute(text("DELETE FROM login_attempts WHERE email = :e"), {"e": bench.EMAIL})
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})


@pytest.fixture
def served_port(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def test_the_bench_client_keeps_the_cookies_the_app_sets_as_a_browser_does(
    committed_rows, bench_user, served_port
):
    """A client that sent its sign-in cookie forever made the app change and re-sign the
    session on every page it measured (the CSRF token, the record just opened), which a
    signed-in browser pays once: the bench measured work no user's page does."""
    ids, _ = committed_rows
    cookies = bench.sign_in(served_port)
    record = f"/contacts/{ids['contact']}"
    first, _ = bench.request(served_port, record, cookies)
    assert first.status == 200
    assert first.getheader("Set-Cookie")  # the session now holds its CSRF token and the record
    for path in (record, "/deals", "/contacts/"):
        again, page = bench.request(served_port, path, cookies)
        assert again.status == 200, path
        assert b"Sign out" in page, path  # still signed in
        assert again.getheader("Set-Cookie") is None, path


def test_the_bench_measures_the_record_page_as_a_rep_too():
    """A rep's record page reads another Timeline (activity only): measured as the admin's
    alone, its statement went unprepared, at twice the admin page's cost, unnoticed."""
    sample = type("Sample", (), {"id": "0f0e0d0c-0b0a-4908-8706-050403020100"})
    sample.first_name, sample.last_name, sample.owner_id = "Ada", "Yardstick", None
    paths = {name: path for name, path, _ in pages(sample)}
    assert paths[bench.REP_RECORD_PAGE] == paths["contact record page (with its timeline)"]
    assert paths[bench.REP_RECORD_PAGE] in bare_pages(sample)
