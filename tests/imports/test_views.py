"""The wizard in the test client: bad uploads get their message (never a 500), the mapping
page suggests fields with sample values, the preview counts rows and names refused ones."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from crm_web.core.db import db
from tests.support import sign_in

MESSY = (
    "\ufeffGiven Name;Family Name;E-mail Address;Mobile Phone;Account Name\r\n"
    "Ann;Lee;ann@example.com;+1 415 555 0100;Acme\r\n"
    "Bob;Stone;not-an-email;;Acme\r\n"
    "Cy;Ng;ann@example.com;;\r\n"
)


def _upload(client, data: bytes, name="people.csv", kind="contacts"):
    files = {"kind": kind, "file": (io.BytesIO(data), name)}
    return client.post("/imports", data=files, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"%PDF-1.4\n", "report.pdf", "This file is a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "logo.png", "This file is a PNG image"),
        (b"Name,Email\n", "header.csv", "The file has a header row but no rows below it."),
    ],
    ids=["empty", "pdf", "png", "header-only"],
)
def test_a_bad_upload_is_refused_with_its_message(client, no_csrf, data, name, message):
    sign_in(client, "rep")
    response = _upload(client, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_an_upload_that_outlasts_the_statement_timeout_is_staged_whole(client, no_csrf):
    # A million rows take about half a minute to stage: past the web's statement timeout,
    # which stopped the COPY with a 500. Here the timeout is 100 ms and the file 40,000 rows.
    sign_in(client, "rep")
    db.session.execute(sa.text("SET statement_timeout = 100"))  # undone with the test's rollback
    rows = "".join(f"Ann{n};Lee;ann{n}@example.com\r\n" for n in range(40_000))
    response = _upload(client, ("Given Name;Family Name;E-mail Address\r\n" + rows).encode())
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    import_id = int(re.search(r"/imports/(\d+)", response.location).group(1))
    total = db.session.scalar(
        sa.text("SELECT total FROM imports WHERE id = :id"), {"id": import_id}
    )
    assert total == 40_000


def test_a_file_over_the_limit_is_refused_with_the_limit(app, client, no_csrf, monkeypatch):
    sign_in(client, "rep")
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    response = _upload(client, b"Name\n" + b"x" * (1024 * 1024 + 10) + b"\n")
    assert response.status_code == 413
    assert "The file is larger than 1 MB." in response.get_data(as_text=True)


def test_viewers_cannot_import(client):
    sign_in(client, "viewer")
    assert client.get("/imports/new").status_code == 403
    assert client.get("/contacts/").status_code == 200
    assert "/imports/new" not in client.get("/contacts/").get_data(as_text=True)


def test_the_contact_list_offers_import_to_a_rep(client):
    sign_in(client, "rep")
    assert 'href="/imports/new?kind=contacts">Import contacts' in client.get("/contacts/").get_data(
        as_text=True
    )


def test_upload_map_and_preview(client, no_csrf):
    sign_in(client, "rep")
    response = _upload(client, MESSY.encode("utf-8"))
    assert response.status_code == 303
    map_url = response.headers["Location"]
    page = client.get(map_url).get_data(as_text=True)
    # Each column shows a sample value and the suggested field is selected.
    assert "ann@example.com" in page
    columns = page.split('name="column-')[1:]
    selected = [re.search(r'<option value="([^"]*)" selected>', c).group(1) for c in columns]
    assert selected == ["first_name", "last_name", "emails:1", "phones:1", "company"]

    form = {f"column-{i}": target for i, target in enumerate(selected)}
    response = client.post(map_url, data=form)
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", preview))
    assert "1 would be created, 1 skipped as duplicates, 1 refused" in text
    # Bob (row 3 as a spreadsheet shows it) is refused for his email, with the column named.
    assert re.search(r"3 E-mail Address not-an-email [^<]*email", text), text


def test_a_mapping_without_a_name_is_refused(client, no_csrf):
    sign_in(client, "rep")
    map_url = _upload(client, MESSY.encode("utf-8")).headers["Location"]
    response = client.post(map_url, data={"column-0": "", "column-1": "", "column-2": "emails:1"})
    assert response.status_code == 422
    assert "Choose the column that holds the name." in response.get_data(as_text=True)


def test_the_wizard_counts_rows_in_words(client, no_csrf):
    sign_in(client, "rep")
    one = _upload(client, b"Given Name,Family Name\nAnn,Lee\n").headers["Location"]
    assert "1 row of contacts" in client.get(one).get_data(as_text=True)
    three = _upload(client, MESSY.encode("utf-8")).headers["Location"]
    assert "3 rows of contacts" in client.get(three).get_data(as_text=True)
