"""Times are shown in the user's time zone: chosen on the profile, or sent by their browser."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from crm_web.accounts.services import get_user
from crm_web.contacts.services import archive_contact
from tests.support import make_contact, make_user, sign_in

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _created_title(page: str) -> str:
    """The hover text of the contact page's Created time."""
    return re.search(r'<dt>Created</dt><dd><time datetime="[^"]+" title="([^"]+)"', page)[1]


def test_the_profile_stores_a_valid_time_zone(client):
    user = sign_in(client, "rep")
    response = client.post("/profile/time-zone", data={"time_zone": "Europe/Berlin"})
    assert response.status_code == 303
    assert get_user(user.id).time_zone == "Europe/Berlin"
    assert 'value="Europe/Berlin" selected' in client.get("/profile").get_data(as_text=True)


def test_the_profile_refuses_a_name_that_is_no_time_zone(client):
    user = sign_in(client, "rep")
    response = client.post(
        "/profile/time-zone", data={"time_zone": "Mars/Olympus"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Choose a time zone from the list" in response.get_data(as_text=True)
    assert get_user(user.id).time_zone is None


def test_the_browsers_zone_is_stored_once_and_never_overrides_a_choice(client):
    user = sign_in(client, "rep")
    assert "js/time-zone.js" in client.get("/").get_data(as_text=True)
    assert client.post("/profile/time-zone/detected", data={"time_zone": "nope"}).status_code == 422
    assert client.post("/profile/time-zone/detected", data={}).status_code == 422
    response = client.post("/profile/time-zone/detected", data={"time_zone": "Asia/Tokyo"})
    assert response.status_code == 204
    assert get_user(user.id).time_zone == "Asia/Tokyo"
    client.post("/profile/time-zone/detected", data={"time_zone": "America/Lima"})
    assert get_user(user.id).time_zone == "Asia/Tokyo"
    assert "js/time-zone.js" not in client.get("/").get_data(as_text=True)


def test_a_users_time_zone_changes_how_a_time_is_shown(client):
    contact = make_contact()
    sign_in(client, "rep")
    url = f"/contacts/{contact.id}"
    utc = _created_title(client.get(url).get_data(as_text=True))
    client.post("/profile/time-zone", data={"time_zone": "Asia/Tokyo"})
    tokyo = _created_title(client.get(url).get_data(as_text=True))
    expected = contact.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert utc.endswith(" UTC")
    assert tokyo == f"{expected.day} {expected:%b %Y}, {expected:%H:%M} JST"


def test_history_shows_an_archive_as_archived_with_a_formatted_time(client):
    manager = make_user("manager")
    contact = make_contact(manager.as_actor())
    archive_contact(contact.id, manager.as_actor())
    sign_in(client, manager)
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    history = history[: history.index("</section>")]
    assert 'title="' in history and "just now</time>" in history
    visible = " ".join(re.sub(r"<[^>]+>", " ", history).split())
    assert "just now Mia Manager archived this record" in visible
    assert not ISO.search(visible), visible
