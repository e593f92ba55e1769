"""A list's statement is built once per shape (which filters are set, how many words a search
has, the sort and the walk) and its values are bound on every run (lists.keyset.fetch_page): the
second search of a shape builds nothing, and still finds its own rows, never the first one's."""

from crm_web.companies import services as company_services
from crm_web.companies.views import SORTABLE as COMPANY_SORTABLE
from crm_web.contacts import services
from crm_web.contacts.models import Contact
from crm_web.contacts.repository import SORTS, row_query
from crm_web.contacts.views import SORTABLE
from crm_web.core.repository import read
from crm_web.lists import keyset
from crm_web.lists.state import record_list_state
from tests.support import ADMIN, counted, make_company, make_contact, make_user


def _names(**args):
    page = services.list_page(record_list_state(args, SORTABLE), ADMIN)
    return [f"{r.first_name} {r.last_name}" for r in page["rows"]]


def test_searches_of_one_shape_share_a_statement_and_each_finds_its_own_rows(session):
    make_contact(first_name="Ada", last_name="Turing")
    make_contact(first_name="Bob", last_name="Smith")
    make_contact(first_name="Cy", last_name="Smithers", emails=["cy@ada.example"])
    assert _names(q="ada tur") == ["Ada Turing"]
    built = len(keyset._PAGE_STATEMENTS)
    # Two words again: the same shape, other values.
    assert _names(q="bob smi") == ["Bob Smith"]
    assert len(keyset._PAGE_STATEMENTS) == built
    # One word: the last names starting with it, then the other matches by name.
    assert _names(q="smith") == ["Bob Smith", "Cy Smithers"]
    assert _names(q="ada") == ["Cy Smithers", "Ada Turing"]  # no last name starts with it


def test_filters_of_one_shape_share_a_statement_and_each_lists_its_own_rows(session):
    mine, theirs = make_user("rep"), make_user("rep")
    make_contact(first_name="Mia", last_name="Mine", owner_id=mine.id)
    make_contact(first_name="Theo", last_name="Theirs", owner_id=theirs.id)
    assert _names(owner=str(mine.id)) == ["Mia Mine"]
    built = len(keyset._PAGE_STATEMENTS)
    assert _names(owner=str(theirs.id)) == ["Theo Theirs"]
    assert len(keyset._PAGE_STATEMENTS) == built


def test_a_company_name_filter_is_bound_on_every_run(session):
    make_company(name="Initech")
    make_company(name="Globex")

    def names(q):
        state = record_list_state({"q": q}, COMPANY_SORTABLE)
        return [r.name for r in company_services.list_page(state, ADMIN)["rows"]]

    assert names("init") == ["Initech"]
    assert names("glob") == ["Globex"]


def test_the_driver_and_sqlalchemy_give_the_same_rows(session):
    """read() runs on psycopg's cursor unless something watches the statements (the tests'
    counters): both ways give the same values, by the same names."""
    make_contact(first_name="Ada", last_name="Turing", emails=["ada@example.com"])
    live = row_query(full=True).where(Contact.archived_at.is_(None))
    statement = keyset._page_statement(live, SORTS["name"], False, False, False, False, 10)
    driver = read(statement)
    with counted() as statements:
        through_sqlalchemy = read(statement)
    assert len(statements) == 1
    assert [tuple(row) for row in driver] == [tuple(row) for row in through_sqlalchemy]
    row = driver[0]
    assert (row.first_name, row.emails, row.custom_fields) == ("Ada", ["ada@example.com"], {})
