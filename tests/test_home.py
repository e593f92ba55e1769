"""The home page and the layout around every page promise only what works today: every link
and form leads to a route that exists, and no text names a feature (import, export, tasks,
notes, search across records) before its endpoints do. Areas appear as their blueprints land."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from crm_web.core.actor import ROLES
from crm_web.records.home import OPENED_KEY, remember_opened
from tests.support import counted, make_contact, make_deal, make_task, make_user, sign_in

# A page may name a feature only once an endpoint whose name holds the feature exists
# (imports.index, deals.export, tasks.index …).
FEATURES = {
    "import": re.compile(r"\bimport", re.I),
    "export": re.compile(r"\bexport", re.I),
    "task": re.compile(r"\btasks?\b", re.I),
    "note": re.compile(r"\bnotes?\b", re.I),
}
AREAS = ("contacts", "companies", "deals")
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
URL_ATTRIBUTES = ("href", "action", "hx-get", "hx-post", "hx-patch", "hx-put", "hx-delete")


class PageReader(HTMLParser):
    """The URLs a page leads to (with the method), its words, and its search form's words."""

    def __init__(self):
        super().__init__()
        self.targets: list[tuple[str, str]] = []
        self.words: list[str] = []
        self.search: dict = {}
        self._skip = 0
        self._in_search = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        for name in URL_ATTRIBUTES:
            if attrs.get(name) is not None:
                method = name[3:].upper() if name.startswith("hx-") else "GET"
                if tag == "form":
                    method = (attrs.get("method") or "get").upper()
                self.targets.append((attrs[name], method))
        if tag == "form" and attrs.get("role") == "search":
            self._in_search = True
            self.search = {"action": attrs.get("action"), "words": []}
        shown = [attrs[name] for name in SHOWN_ATTRIBUTES if attrs.get(name)]
        self.words += shown
        if self._in_search:
            self.search["words"] += shown

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "form":
            self._in_search = False

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.words.append(data.strip())
            if self._in_search:
                self.search["words"].append(data.strip())


def _endpoint(app, url: str, method: str) -> str | None:
    """The endpoint `url` reaches with `method`; None when no route answers it."""
    path = url.split("#")[0].split("?")[0]
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method=method)
    except (HTTPException, RequestRedirect):
        return None
    return endpoint


@pytest.mark.parametrize("role", ROLES)
def test_the_home_page_promises_only_what_works(app, client, role):
    sign_in(client, role)
    response = client.get("/")
    assert response.status_code == 200
    page = PageReader()
    page.feed(response.get_data(as_text=True))

    local = [(url, method) for url, method in page.targets if url.startswith("/")]
    assert local, "the home page links nowhere"
    dead = [(url, method) for url, method in local if _endpoint(app, url, method) is None]
    assert dead == [], f"links to routes that do not exist: {dead}"

    text = " ".join(page.words)
    for feature, word in FEATURES.items():
        if not any(feature in endpoint for endpoint in app.view_functions):
            named = sorted({m.group(0) for m in word.finditer(text)})
            assert named == [], f"{feature!r} has no endpoint yet, but the page says {named}"

    # The search box names only the records its form searches.
    searched = _endpoint(app, page.search["action"], "GET")
    if searched != "search.index":
        search_text = " ".join(page.search["words"]).lower()
        named = [area for area in AREAS if area in search_text]
        assert set(named) <= {searched.split(".")[0]}, f"the {searched} search box names {named}"


def test_a_rep_sees_their_own_deals_closing_soonest(client):
    me, colleague = make_user("rep"), make_user("rep", name="Cole League")
    today = datetime.now(UTC).date()  # the user has no time zone yet: their day is UTC's
    make_deal(
        me.as_actor(), title="Later deal", close_date=(today + timedelta(days=20)).isoformat()
    )
    make_deal(me.as_actor(), title="Soon deal", close_date=(today + timedelta(days=3)).isoformat())
    make_deal(colleague.as_actor(), title="Colleague deal", close_date=today.isoformat())
    sign_in(client, me)
    page = client.get("/").get_data(as_text=True)
    mine = page[page.index('id="my-deals-title"') : page.index('id="recent-title"')]
    assert "Colleague deal" not in mine
    assert mine.index("Soon deal") < mine.index("Later deal")
    assert ">in 3 days</time>" in mine
    assert "EUR 1,200.00" in mine or "1,200.00" in mine


def test_the_home_page_lists_the_users_recently_updated_records(client):
    me = make_user("rep")
    make_contact(me.as_actor(), first_name="Grace", last_name="Hopper")
    make_contact(make_user("rep").as_actor(), first_name="Someone", last_name="Else")
    sign_in(client, me)
    page = client.get("/").get_data(as_text=True)
    assert "Grace Hopper" in page and "Someone Else" not in page
    assert "you changed it <time" in page


def test_a_viewer_gets_no_create_links(client):
    sign_in(client, "viewer")
    page = client.get("/").get_data(as_text=True)
    assert "New contact" not in page and "New deal" not in page
    assert "/contacts/new" not in page and "/deals/new" not in page
    sign_in(client, "rep")
    assert "New contact" in client.get("/").get_data(as_text=True)


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end)]


def test_a_rep_sees_their_overdue_and_todays_tasks_but_not_later_or_others(client):
    me, colleague = make_user("rep"), make_user("rep")
    today = datetime.now(UTC).date()
    contact = make_contact(me.as_actor(), first_name="Ada", last_name="Lovelace")
    by_me = me.as_actor()
    make_task(
        "contact",
        contact.id,
        by_me,
        description="Overdue call",
        due_date=str(today - timedelta(days=2)),
    )
    make_task("contact", contact.id, by_me, description="Today call", due_date=str(today))
    make_task(
        "contact",
        contact.id,
        by_me,
        description="Next week call",
        due_date=str(today + timedelta(days=7)),
    )
    make_task(
        "contact", contact.id, colleague.as_actor(), description="Their call", due_date=str(today)
    )
    sign_in(client, me)
    page = client.get("/").get_data(as_text=True)
    tasks = _section(page, 'id="my-tasks-title"', 'id="my-deals-title"')
    assert tasks.index("Overdue call") < tasks.index("Today call")
    assert "Next week call" not in tasks and "Their call" not in tasks
    assert ">Overdue</span>" in tasks and "Ada Lovelace" in tasks
    assert 'hx-post="/tasks/' in tasks  # the checkbox completes it in place
    assert "Start your day here" not in page


def test_a_new_install_says_how_to_start(client):
    sign_in(client, "rep")
    page = client.get("/").get_data(as_text=True)
    start = _section(page, 'id="start-title"', 'id="my-tasks-title"')
    assert "Add a contact" in start and 'href="/deals/new"' in start
    assert 'id="my-deals-title"' not in page  # no empty deals box beside it
    sign_in(client, "viewer")
    page = client.get("/").get_data(as_text=True)
    assert "Nothing is assigned to you yet" in page
    assert "task-add" not in page and "New task" not in page


def test_open_deals_are_totalled_by_stage_and_currency(client):
    me = make_user("rep")
    make_deal(me.as_actor(), title="A", value="100.00", currency="EUR", stage="Lead")
    make_deal(me.as_actor(), title="B", value="50.00", currency="USD", stage="Lead")
    make_deal(me.as_actor(), title="C", value="10.00", currency="EUR", stage="Lead")
    make_deal(make_user("rep").as_actor(), title="Theirs", value="999.00", stage="Lead")
    sign_in(client, me)
    deals = _section(
        client.get("/").get_data(as_text=True), 'id="my-deals-title"', 'id="recent-title"'
    )
    lead = deals[deals.index(">Lead</th>") : deals.index("</tr>", deals.index(">Lead</th>"))]
    assert '<td class="num">3</td>' in lead
    assert (
        "110.00" in lead and "50.00" in lead and "999.00" not in deals
    )  # (a bare "999" may be in a UUID)


def test_records_opened_show_on_the_home_page(client):
    me = make_user("rep")
    other = make_contact(make_user("rep").as_actor(), first_name="Opened", last_name="Person")
    sign_in(client, me)
    assert "Opened Person" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/contacts/{other.id}").status_code == 200
    recent = _section(
        client.get("/").get_data(as_text=True), 'id="recent-title"', 'id="areas-title"'
    )
    assert "Opened Person" in recent and "you opened it <time" in recent


def test_reopening_the_record_opened_last_leaves_the_cookie_alone_for_a_minute(client):
    me = make_user("rep")
    first = make_contact(me.as_actor(), first_name="First", last_name="Opened")
    second = make_contact(me.as_actor(), first_name="Second", last_name="Opened")
    sign_in(client, me)
    assert "Set-Cookie" in client.get(f"/contacts/{first.id}").headers
    # A reload of the same page: the list would read the same, so no cookie is re-signed.
    assert "Set-Cookie" not in client.get(f"/contacts/{first.id}").headers
    assert "Set-Cookie" in client.get(f"/contacts/{second.id}").headers
    recent = _section(
        client.get("/").get_data(as_text=True), 'id="recent-title"', 'id="areas-title"'
    )
    assert recent.index("Second Opened") < recent.index("First Opened")

    # Past a minute a reopening stamps the record again.
    stored = {}
    opened = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    remember_opened(stored, me.id, "contacts.detail", {"contact_id": first.id}, now=opened)
    later = opened + timedelta(seconds=59)
    remember_opened(stored, me.id, "contacts.detail", {"contact_id": first.id}, now=later)
    assert stored[OPENED_KEY]["items"][0][2] == opened.isoformat(timespec="seconds")
    later = opened + timedelta(minutes=2)
    remember_opened(stored, me.id, "contacts.detail", {"contact_id": first.id}, now=later)
    assert stored[OPENED_KEY]["items"] == [["contact", str(first.id), later.isoformat()]]


def test_the_home_page_runs_at_most_ten_sql_statements(client):
    me = make_user("rep")
    today = datetime.now(UTC).date()
    for n in range(6):
        contact = make_contact(me.as_actor(), first_name=f"P{n}", last_name="Q")
        make_task("contact", contact.id, me.as_actor(), due_date=str(today))
        make_deal(me.as_actor(), title=f"Deal {n}", currency=("EUR", "USD")[n % 2])
        client.get(f"/contacts/{contact.id}")  # not signed in yet: nothing remembered
    sign_in(client, me)
    client.get(f"/contacts/{contact.id}")
    with counted() as statements:
        page = client.get("/").get_data(as_text=True)
    assert page.count('class="task-item') == 6 and "Deal 5" in page and "P5 Q" in page
    assert len(statements) <= 10, "\n".join(statements)
