"""The search page, the top bar's suggestions, the palette's list; EXPLAIN shows the indexes."""

import sqlalchemy as sa

from crm_web.contacts.services import archive_contact
from crm_web.core.db import db
from crm_web.search import repository
from tests.support import ADMIN, HX_REQUEST, make_company, make_contact, make_deal, sign_in


def test_results_are_grouped_by_kind_with_counts_and_marked(client):
    sign_in(client, "viewer")
    acme = make_company(name="Acme Rockets")
    make_contact(first_name="Wile", last_name="Acme", company_id=acme.id)
    make_deal(title="Acme renewal", company_id=acme.id)
    html = client.get("/search/?q=acme").get_data(as_text=True)
    for heading in ("Contacts", "Companies", "Deals"):
        assert f'{heading} <span class="search-count">1</span>' in html
    assert "<mark>Acme</mark> Rockets" in html and "<mark>Acme</mark> renewal" in html
    assert 'href="/companies/' in html and 'href="/deals/' in html


def test_an_img_tag_in_a_name_is_text_not_markup(client):
    sign_in(client)
    make_contact(first_name="<img src=x onerror=alert(1)>", last_name="Evil")
    html = client.get("/search/suggestions?q=evil", headers=HX_REQUEST).get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>Evil</mark>" in html


def test_archived_records_only_with_the_toggle(client):
    sign_in(client)
    contact = make_contact(first_name="Gone", last_name="Zyxwv")
    archive_contact(contact.id, ADMIN, expected_version=contact.version)
    assert "Zyxwv" not in client.get("/search/?q=zyxwv").get_data(as_text=True)
    shown = client.get("/search/?q=zyxwv&archived=1").get_data(as_text=True)
    assert "<mark>Zyxwv</mark>" in shown and ">archived</span>" in shown


def test_the_palette_offers_actions_that_exist_and_match(client):
    sign_in(client, "rep")
    html = client.get("/search/palette?q=", headers=HX_REQUEST).get_data(as_text=True)
    for label in ("New contact", "New deal", "My tasks", "Pipeline board", "Print pipeline"):
        assert label in html
    assert ("Import<" in html) == ("/imports" in html)
    narrowed = client.get("/search/palette?q=pipe", headers=HX_REQUEST).get_data(as_text=True)
    assert "Pipeline board" in narrowed and "New contact" not in narrowed


def _plan(statement) -> str:
    # Tables of a test hold a handful of rows, where a scan is cheaper than any index: forbid
    # scans (plain index scans too, which GIN has not), so the plan shows whether the conditions
    # can be served by bitmap scans of the indexes at all. The statements include archived
    # records: else a partial index serves "archived_at IS NULL" as a whole-index bitmap,
    # cheapest over empty tables only.
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
    compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    # psycopg doubles % for its placeholders; a literal statement has none.
    sql = str(compiled).replace("%%", "%")
    rows = db.session.execute(sa.text("EXPLAIN " + sql.replace(":", r"\:")))
    return "\n".join(r[0] for r in rows)


def test_every_kind_is_found_through_its_gin_indexes(session):
    params = repository._params("jonh smi", repository.words_of("jonh smi"))
    plans = {
        name: _plan(
            repository._kind_query(
                model, [model.id], doc, text, 2, False, archived=True, live=live
            ).params(params)
        )
        for name, model, doc, text, live in (
            (
                "contacts",
                repository.Contact,
                repository.CONTACT_DOCUMENT,
                repository.CONTACT_TEXT,
                True,
            ),
            (
                "companies",
                repository.Company,
                repository.COMPANY_DOCUMENT,
                repository.COMPANY_TEXT,
                True,
            ),
            ("deals", repository.Deal, repository.DEAL_DOCUMENT, repository.DEAL_TEXT, True),
            ("notes", repository.Note, repository.NOTE_DOCUMENT, None, False),
            ("tasks", repository.Task, repository.TASK_DOCUMENT, None, False),
        )
    }
    assert "idx_contacts_document" in plans["contacts"]
    assert "idx_contacts_search_unaccent_trgm" in plans["contacts"]
    assert "idx_companies_document" in plans["companies"]
    assert "idx_companies_search_trgm" in plans["companies"]
    assert "idx_deals_document" in plans["deals"] and "idx_deals_search_trgm" in plans["deals"]
    assert "idx_notes_document" in plans["notes"] and "idx_tasks_document" in plans["tasks"]


def test_phone_digits_find_that_number_not_numbers_that_look_like_it(client):
    sign_in(client)
    make_contact(first_name="Right", last_name="Number", phones=["+14155550100"])
    make_contact(first_name="Near", last_name="Miss", phones=["+14155550190"])
    html = client.get("/search/?q=4155550100").get_data(as_text=True)
    assert "Right Number" in html and "Near Miss" not in html


def test_past_the_first_hundred_matches_a_count_reads_100_plus(client):
    """Only a kind's first 100 matches are ranked (each costs its document computed again):
    the count says there are more rather than a number it never counted."""
    sign_in(client)
    for n in range(101):
        make_contact(first_name=f"Ada{n}", last_name="Quorrason")
    html = client.get("/search/?q=quorrason").get_data(as_text=True)
    assert 'Contacts <span class="search-count">100+</span>' in html
    assert "100+ results for “quorrason”" in html
    assert html.count("<mark>Quorrason</mark>") == 20  # the page's first 20


def test_a_name_typed_whole_is_found_among_a_hundred_near_misses(client):
    """The records holding the typed word are candidates before the typo matches: among 100
    near-misses made earlier, the one exact name still comes first."""
    sign_in(client)
    for n in range(100):
        make_contact(first_name=f"Ada{n}", last_name="Quorrasen")
    make_contact(first_name="Bea", last_name="Quorrason")
    html = client.get("/search/?q=quorrason").get_data(as_text=True)
    first = html.index('<span class="search-title">')
    assert html[first:].startswith('<span class="search-title">Bea <mark>Quorrason</mark>')
