"""The import wizard as a rep uses it: from the contact list's Import button, upload a messy
CSV, accept the suggested mapping, read the preview, run it with a real worker, watch the bar
reach the report, download errors.csv whose row numbers are the spreadsheet's, fix those rows
and import them (saved from a spreadsheet in Windows-1252), then undo the first import."""

import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.conftest import committed, committed_user, login, screenshot
from tests.jobs.support import start_worker

# A BOM, semicolons, a quoted newline in a job title, accents, an email used twice, a bad email,
# phones written in several ways, a blank line (row 6 as a spreadsheet counts it).
MESSY = (
    "\ufeffGiven Name;Family Name;E-mail Address;Mobile Phone;Job Title;Account Name\r\n"
    'Zoë;Brontë;zoe@example.com;+1 415 555 0100;"Head of\nSales";Initech\r\n'
    "Renée;Müller;renee@example;(415) 555-0101;CTO;Initech\r\n"
    "Sam;Twice;zoe@example.com;415.555.0102;;\r\n"
    "Ana;Gómez;ana@example.com;4155550103;CEO;Globex\r\n"
    "\r\n"
    "Li;Wei;li@example.com;call me maybe;;\r\n"
)


def test_a_rep_imports_a_messy_file_and_downloads_its_errors(app, page, tmp_path):
    rep = committed_user(app, "rep")
    login(page, rep)
    page.goto("/contacts/")
    page.get_by_role("link", name="Import contacts").click()
    expect(page.get_by_role("heading", name="Import contacts")).to_be_visible()
    upload = tmp_path / "old-crm-export.csv"
    upload.write_bytes(MESSY.encode("utf-8"))
    page.get_by_label("File", exact=True).set_input_files(upload)
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    expect(page.get_by_label("Import “E-mail Address” into")).to_have_value("emails:1")
    expect(page.get_by_label("Import “Account Name” into")).to_have_value("company")
    expect(page.get_by_text("Renée", exact=True)).to_be_visible()
    screenshot(page, "imports-map")
    page.get_by_role("button", name="Save and preview").click()

    preview = page.locator("#import_progress")
    expect(preview).to_contain_text("2 would be created, 1 skipped as duplicates, 2 refused")
    expect(preview).to_contain_text("Same email or phone as row 2.")
    screenshot(page, "imports-preview")

    worker = start_worker(app)
    try:
        page.get_by_role("button", name="Import 5 rows").click()
        expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=120_000)
        errors_csv = _check_report_and_errors(page)
        _fix_and_import_the_refused_rows(page, errors_csv, tmp_path)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    _undo_the_first_import(page)


def _check_report_and_errors(page) -> str:
    report = page.locator("#import_progress")
    expect(report).to_contain_text(re.compile(r"2\s+created.*1\s+skipped.*2\s+refused", re.S))
    screenshot(page, "imports-report")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download errors.csv").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Row", "Column", "Reason", "Given Name"]
    # Renée is on row 3 of the file; Li on row 7 (after the blank row 6).
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("3", "E-mail Address", "Renée"),
        ("7", "Mobile Phone", "Li"),
    ]

    page.goto("/contacts/")
    expect(page.get_by_text("Brontë")).to_be_visible()
    screenshot(page, "imports-contact-list")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    row = page.get_by_role("row", name=re.compile("old-crm-export.csv"))
    expect(row).to_contain_text("Done")
    expect(row.get_by_role("link", name="2")).to_have_attribute("href", re.compile("errors.csv"))
    screenshot(page, "imports-list")
    return text


def _fix_and_import_the_refused_rows(page, errors_csv: str, tmp_path) -> None:
    """errors.csv opened in a spreadsheet: the two cells fixed, saved as Windows-1252 CSV with
    its Row/Column/Reason columns still in front, and imported again."""
    rows = list(csv.reader(io.StringIO(errors_csv)))
    rows[1][5] = "renee@example.com"  # Renée's email
    rows[2][6] = "+1 415 555 0104"  # Li's phone
    fixed = tmp_path / "fixed.csv"
    with open(fixed, "w", encoding="cp1252", newline="") as handle:
        csv.writer(handle).writerows(rows)
    page.goto("/imports/new?kind=contacts")
    page.get_by_label("File", exact=True).set_input_files(fixed)
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    for column in ("Row", "Column", "Reason"):
        expect(page.get_by_label(f"Import “{column}” into")).to_have_value("")
    expect(page.get_by_text("Renée", exact=True)).to_be_visible()  # read as Windows-1252
    page.get_by_role("button", name="Save and preview").click()
    preview = page.locator("#import_progress")
    expect(preview).to_contain_text("2 would be created, 0 skipped as duplicates, 0 refused")
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=120_000)
    expect(preview).to_contain_text(re.compile(r"2\s+created.*0\s+skipped.*0\s+refused", re.S))


def _undo_the_first_import(page) -> None:
    page.goto("/imports")
    first = page.get_by_role("row", name=re.compile("old-crm-export.csv"))
    first.get_by_role("link", name="#").click()
    page.get_by_role("link", name="Undo import").click()
    expect(page.get_by_role("heading", name="Archive what this import created?")).to_be_visible()
    # Zoë and Ana, Initech and Globex; Initech is kept: Renée, imported since, works there.
    expect(page.locator("main")).to_contain_text("This import created 2 contacts and 2 companies.")
    expect(page.locator("#undo-changed")).to_contain_text(
        "Initech (company): now has deals or contacts this import didn't bring"
    )
    screenshot(page, "imports-undo")
    page.get_by_role("button", name="Undo import").click()
    expect(page.locator(".flash")).to_contain_text(
        "Import undone: 3 records archived. Kept 1 changed since the import."
    )
    expect(page.get_by_role("heading", name="Undone")).to_be_visible()
    expect(page.locator("#import-undone")).to_contain_text("3 of the records it created were")
    screenshot(page, "imports-undone")
    page.goto("/contacts/")
    expect(page.get_by_text("Müller")).to_be_visible()
    expect(page.get_by_role("link", name="Li Wei", exact=True)).to_be_visible()
    expect(page.get_by_text("Brontë")).to_have_count(0)
    expect(page.get_by_text("Gómez")).to_have_count(0)
    page.goto("/imports")
    expect(page.get_by_role("row", name=re.compile("old-crm-export.csv"))).to_contain_text("Undone")


def test_a_pdf_gets_a_plain_message_and_the_form_again(app, page, tmp_path):
    from tests.browser.conftest import expect_error_status

    expect_error_status(page, 422)
    login(page, committed_user(app, "manager"))
    page.goto("/companies/")
    page.get_by_role("link", name="Import companies").click()
    pdf = tmp_path / "price-list.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    page.get_by_label("File", exact=True).set_input_files(pdf)
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This file is a PDF document, not a spreadsheet. Upload CSV or .xlsx."
    )
    expect(page.get_by_label("Import as")).to_have_value("companies")
    screenshot(page, "imports-upload-refused")


def _staged_import(app, user, name: str) -> None:
    """An upload of `user`'s, mapped but not run (committed: the live server is a thread)."""
    from crm_web.imports import services

    def make():
        path = _tmp_csv(name, "Name,Email\nAnn Lee,ann@example.com\n")
        return services.stage_upload("contacts", name, path, user.as_actor()).id

    committed(app, make)


def _tmp_csv(name: str, text: str):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_manager_sees_everyones_imports_and_a_viewer_is_not_offered_any(app, page):
    from tests.browser.conftest import expect_error_status

    rep = committed_user(app, "rep", name="Robin Rep")
    manager = committed_user(app, "manager", name="Mona Manager")
    _staged_import(app, rep, "robins-leads.csv")
    _staged_import(app, manager, "monas-accounts.csv")
    login(page, manager)
    page.goto("/imports")
    expect(page.get_by_text("Everyone's imports are listed")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("robins-leads.csv"))).to_contain_text(
        "Robin Rep"
    )
    expect(page.get_by_role("row", name=re.compile("monas-accounts.csv"))).to_contain_text(
        "Mona Manager"
    )
    screenshot(page, "imports-list-manager")

    page.context.clear_cookies()
    login(page, rep)
    page.goto("/imports")
    expect(page.get_by_role("row", name=re.compile("robins-leads.csv"))).to_be_visible()
    expect(page.get_by_text("monas-accounts.csv")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="By")).to_have_count(0)

    page.context.clear_cookies()
    login(page, committed_user(app, "viewer"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Import")).to_have_count(0)
    expect_error_status(page, 403)
    page.goto("/imports")
    expect(page.get_by_text("robins-leads.csv")).to_have_count(0)
    screenshot(page, "imports-list-viewer")


LEADS = "Vorname;Nachname;Kontakt;Messe\nAnn;Lee;ann@example.com;Köln\n"


def test_a_saved_mapping_is_chosen_for_the_next_file_like_it(app, page, tmp_path):
    login(page, committed_user(app, "rep"))
    for n, name in enumerate(("messe-2026-03.csv", "messe-2026-09.csv")):
        path = tmp_path / name
        path.write_text(LEADS.replace("Ann", f"Ann{n}"), encoding="utf-8")
        page.goto("/imports/new?kind=contacts")
        page.get_by_label("File", exact=True).set_input_files(path)
        page.get_by_role("button", name="Upload and map columns").click()
        expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
        if n == 0:
            expect(page.get_by_label("Saved mapping for files like this")).to_have_count(0)
            page.get_by_label("Import “Vorname” into").select_option("first_name")
            page.get_by_label("Import “Nachname” into").select_option("last_name")
            page.get_by_label("Save this mapping as").press_sequentially("Messe leads", delay=120)
            page.get_by_role("button", name="Save and preview").click()
            expect(page.locator("#import_progress")).to_contain_text("1 would be created")
    expect(page.get_by_label("Saved mapping for files like this")).to_have_value(re.compile(r"\d"))
    expect(page.locator("#use-mapping option:checked")).to_have_text("Messe leads")
    expect(page.get_by_text("The columns below follow “Messe leads”.")).to_be_visible()
    expect(page.get_by_label("Import “Vorname” into")).to_have_value("first_name")
    expect(page.get_by_label("Import “Nachname” into")).to_have_value("last_name")
    expect(page.get_by_label("Import “Kontakt” into")).to_have_value("emails:1")
    screenshot(page, "imports-map-saved")


def test_a_manager_exports_the_filtered_deals_and_tasks(app, page):
    from tests.support import make_deal, make_task

    manager = committed_user(app, "manager")
    committed(app, lambda: make_deal(title="Exported renewal", value="500.00"))
    committed(app, lambda: make_deal(title="Another deal"))
    deal_id = committed(app, lambda: make_deal(title="Exported upsell").id)
    actor = manager.as_actor()
    committed(
        app,
        lambda: make_task(
            "deal", deal_id, actor, description="Send the quote", assignee_id=manager.id
        ),
    )
    login(page, manager)
    page.goto("/deals")
    page.get_by_role("searchbox").first.press_sequentially("exported", delay=120)
    expect(page.locator("#list-count")).to_contain_text("2 deals matching “exported”")
    screenshot(page, "exports-deals-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export all as CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert sorted(r["Title"] for r in rows) == ["Exported renewal", "Exported upsell"]

    page.goto("/tasks/")
    screenshot(page, "exports-tasks-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these tasks as CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [(r["Task"], r["Record"]) for r in rows] == [("Send the quote", "Exported upsell")]
