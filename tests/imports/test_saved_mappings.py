"""Saved mappings: name a mapping once, and the next file with the same columns gets it chosen
on the mapping page, for anyone on the team; a name someone else saved is theirs."""

from __future__ import annotations

import io
import re

from tests.support import sign_in

HEADER = "Vorname,Nachname,Kontakt,Notiz\n"
ROW = "Ann,Lee,ann@saved-map.example,hello\n"


def _upload(client, text: str) -> int:
    files = {"kind": "contacts", "file": (io.BytesIO(text.encode()), "leads.csv")}
    response = client.post("/imports", data=files, content_type="multipart/form-data")
    return int(re.search(r"/imports/(\d+)/map", response.headers["Location"]).group(1))


def _selected(page: str, index: int) -> str:
    select = re.search(rf'<select id="column-{index}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected', select).group(1)


CHOICES = {"column-0": "first_name", "column-1": "last_name", "column-2": "emails:1"}


def test_a_saved_mapping_is_chosen_for_the_next_file_with_the_same_columns(client, no_csrf):
    sign_in(client, "rep")
    first = _upload(client, HEADER + ROW)
    page = client.get(f"/imports/{first}/map").get_data(as_text=True)
    assert "Saved mapping for files like this" not in page
    assert _selected(page, 1) != "last_name"  # "Nachname" suggests nothing
    form = {**CHOICES, "column-3": "", "save_as": "Messe leads"}
    assert client.post(f"/imports/{first}/map", data=form).status_code == 303

    sign_in(client, "rep")  # a teammate, a week later
    second = _upload(client, HEADER.upper() + "Bo,Ng,bo@saved-map.example,\n")
    page = client.get(f"/imports/{second}/map").get_data(as_text=True)
    assert '<option value="' in page and ">Messe leads</option>" in page
    assert "The columns below follow “Messe leads”." in page
    assert [_selected(page, i) for i in range(4)] == ["first_name", "last_name", "emails:1", ""]

    other = _upload(client, "Name,Email\nAnn Lee,ann@saved-map.example\n")
    page = client.get(f"/imports/{other}/map").get_data(as_text=True)
    assert "Messe leads" not in page


def test_a_name_someone_else_saved_is_refused_beside_the_field(client, no_csrf):
    sign_in(client, "rep")
    first = _upload(client, HEADER + ROW)
    client.post(f"/imports/{first}/map", data={**CHOICES, "save_as": "Mine"})
    sign_in(client, "rep")
    second = _upload(client, HEADER + ROW)
    response = client.post(f"/imports/{second}/map", data={**CHOICES, "save_as": "Mine"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Someone else saved a mapping of that name: choose another." in page
    assert 'value="Mine"' in page
