"""The import wizard as a rep uses it: from the contact list's Import button, upload a messy
CSV, accept the suggested mapping, read the preview, run it with a real worker, watch the bar
reach the report, and download errors.csv whose row numbers are the spreadsheet's."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot
from tests.jobs.support import start_worker

pytestmark = pytest.mark.browser

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
    finally:
        worker.terminate()
        worker.wait(timeout=30)
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
