"""Contacts an import has just made are found at once: by the contacts list's search and by
global search (their GIN index entries wait in the pending lists until merged, and searches
read those too), with or without the accents of their names (migration 0023)."""

from __future__ import annotations

import io
import re

from crm_web.imports import jobs
from tests.support import sign_in

FILE = (
    "First Name;Last Name;E-mail Address;Mobile Phone\n"
    "Zoë;Quarrington;zoe.q@fresh-import.example;(415) 555-0142\n"
    "Ann;Élouard;ann.e@fresh-import.example;\n"
)


def _import(client) -> None:
    files = {"kind": "contacts", "file": (io.BytesIO(FILE.encode()), "fresh.csv")}
    response = client.post("/imports", data=files, content_type="multipart/form-data")
    import_id = int(re.search(r"/imports/(\d+)/map", response.headers["Location"]).group(1))
    targets = ["first_name", "last_name", "emails:1", "phones:1"]
    client.post(f"/imports/{import_id}/map", data={f"column-{i}": t for i, t in enumerate(targets)})
    assert client.post(f"/imports/{import_id}/run").status_code == 303
    jobs.import_file(None, import_id)


def test_freshly_imported_contacts_are_found_by_both_searches_without_accents(client, no_csrf):
    sign_in(client, "rep")
    _import(client)
    zoe, ann = "Zoë Quarrington", "Ann Élouard"
    for term, expected in (("zoe quarr", [zoe]), ("ELOUARD", [ann]), ("0142", [zoe]),
                           ("fresh-import", [zoe, ann])):  # fmt: skip
        listed = client.get("/contacts/", query_string={"q": term}).get_data(as_text=True)
        found = [name for name in (zoe, ann) if name in listed]
        assert found == expected, f"the contacts list's search for {term!r}"
    searched = client.get("/search/", query_string={"q": "elouard"}).get_data(as_text=True)
    assert "Élouard" in searched
