"""A record page's Tasks and Notes cards are bounded: a record may carry thousands of tasks and
notes, and its page draws the first of each list (activities.repository.RECORD_LISTS): the open
tasks due soonest, the latest done ones, the pinned and newest notes. "Show more" appends the
next rows below those shown, each exactly once, until there are none. A company's Contacts
card lists its first 20 by name and links to the rest."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import sqlalchemy as sa

from crm_web.activities.models import Task
from crm_web.activities.services import RECORD_LISTS, update_note, update_task
from crm_web.core.db import db
from crm_web.lists.keyset import encode_cursor
from crm_web.records.page_query import RELATED_CONTACTS
from tests.support import (
    ADMIN,
    HX_REQUEST,
    make_company,
    make_contact,
    make_deal,
    make_note,
    make_task,
    sign_in,
)

MORE = re.compile(r'<li class="list-more"><button [^>]*hx-get="([^"]+)"')
TITLE = re.compile(r"Open \d\d|Undated \d|Done \d")


def _titles(html: str) -> list[str]:
    """The test's task titles in the order shown (a row names its title more than once)."""
    return list(dict.fromkeys(TITLE.findall(html)))


def _card(html: str, card: str) -> str:
    """The Tasks or Notes card of a record page."""
    start = html.index(f'id="{card}"')
    return html[start : html.index("</section>", start)]


def _follow(client, html: str) -> tuple[str, str | None]:
    """The rows "Show more" appends (at the first button in `html`), and the next button's URL."""
    url = MORE.search(html).group(1).replace("&amp;", "&")
    response = client.get(url, headers=HX_REQUEST)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    more = MORE.search(page)
    return page, more and more.group(1)


def test_the_tasks_card_shows_the_open_tasks_due_soonest_then_the_latest_done(client):
    sign_in(client, "rep")
    contact = make_contact()
    opened, done = RECORD_LISTS["open"].size, RECORD_LISTS["done"].size
    # Open tasks due from 2031-01-01 on, added latest first; one timed; three without a date.
    for n in reversed(range(opened + 3)):
        make_task(
            "contact", contact.id, description=f"Open {n:02}", due_date=dt.date(2031, 1, n + 1)
        )
    for n in range(3):
        make_task("contact", contact.id, description=f"Undated {n}")
    for n in range(done + 2):
        task = make_task("contact", contact.id, description=f"Done {n}")
        update_task(task.id, {"status": "closed"}, ADMIN)
        # Done one hour apart, Done 0 first (one test transaction: now() would tie them all).
        when = dt.datetime(2030, 6, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)
        db.session.execute(sa.update(Task).where(Task.id == task.id).values(updated_at=when))

    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    card = _card(html, "tasks")
    titles = _titles(card)
    latest_done = [f"Done {n}" for n in reversed(range(2, done + 2))]
    assert titles == [f"Open {n:02}" for n in range(opened)] + latest_done
    assert "Show more open tasks" in card and "Show more done tasks" in card

    rows, more = _follow(client, card)  # the first button: the open tasks'
    titles = _titles(rows)
    assert titles[:3] == [f"Open {n:02}" for n in range(opened, opened + 3)]
    # (made in one test transaction: the same created_at, so in id order among themselves)
    assert sorted(titles[3:]) == [f"Undated {n}" for n in range(3)]
    assert more is None

    done_button = card[card.index("Show more open tasks") :]
    rows, more = _follow(client, done_button)
    assert _titles(rows) == ["Done 1", "Done 0"] and more is None


def test_show_older_notes_walks_every_note_once_pinned_first(client):
    sign_in(client, "viewer")
    deal = make_deal()
    size = RECORD_LISTS["notes"].size
    made = [make_note("deal", deal.id, content=f"Note number {n:03}") for n in range(2 * size + 3)]
    pinned = made[-1]
    update_note(pinned.id, {"pinned": "1"}, ADMIN)

    card = _card(client.get(f"/deals/{deal.id}").get_data(as_text=True), "notes")
    shown = re.findall(r"Note number \d{3}", card)
    assert len(shown) == size and shown[0] == pinned.content
    pages = [shown]
    more_html = card
    while "Show older notes" in more_html:
        more_html, _ = _follow(client, more_html)
        pages.append(re.findall(r"Note number \d{3}", more_html))
    seen = [content for page in pages for content in page]
    assert sorted(seen) == sorted(note.content for note in made)  # each exactly once
    assert [len(page) for page in pages] == [size, size, 3]


def test_a_new_note_redraws_the_first_notes_only(client, no_csrf):
    sign_in(client, "rep")
    contact = make_contact()
    for n in range(RECORD_LISTS["notes"].size + 5):
        make_note("contact", contact.id, content=f"Old note {n}")
    response = client.post(
        "/notes/",
        data={"content": "Fresh news", "entity_type": "contact", "entity_id": str(contact.id)},
        headers=HX_REQUEST,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Fresh news" in html
    assert html.count('class="note-item') == RECORD_LISTS["notes"].size
    assert "Show older notes" in html


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        encode_cursor([True, "not a time", "x"]),
        encode_cursor([1, 2]),
        "%00",
        "%ED%A0%80",
    ],
)
def test_a_forged_position_is_refused_with_a_message_not_a_server_error(client, after):
    sign_in(client, "rep")
    contact = make_contact()
    for url in (f"/tasks/on/contact/{contact.id}/open", f"/notes/on/contact/{contact.id}"):
        response = client.get(f"{url}?after={after}", headers=HX_REQUEST)
        assert response.status_code in (400, 422), (url, response.status_code)


def test_show_more_of_a_record_that_is_not_there_is_404_and_needs_a_sign_in(client):
    missing = uuid.uuid4()
    assert client.get(f"/notes/on/deal/{missing}").status_code == 302  # to the sign-in page
    sign_in(client, "viewer")
    assert client.get(f"/notes/on/deal/{missing}").status_code == 404
    assert client.get(f"/tasks/on/company/{missing}/done").status_code == 404
    assert client.get(f"/tasks/on/person/{missing}/done").status_code == 404


def test_a_company_page_lists_its_first_contacts_by_name_and_links_to_all(client):
    sign_in(client, "viewer")
    company = make_company(name="Big Account")
    count = RELATED_CONTACTS + 3
    for n in reversed(range(count)):
        make_contact(company_id=company.id, first_name="Pat", last_name=f"Member {n:02}")
    make_contact(first_name="Pat", last_name="Elsewhere")
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    card = _card(html, "contacts")
    assert f"Contacts ({count})" in card
    shown = re.findall(r"Member \d\d", card)
    assert shown == [f"Member {n:02}" for n in range(RELATED_CONTACTS)]
    link = re.search(rf'<a href="([^"]+)">All {count} contacts</a>', card).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(set(re.findall(r"Member \d\d", listed))) == count
    assert "Elsewhere" not in listed
