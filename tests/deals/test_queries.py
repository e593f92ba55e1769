"""The board, list and print pages run a fixed number of SQL statements, however many deals."""

from contextlib import contextmanager

from sqlalchemy import event

from crm_web.core.db import db
from tests.support import make_company, make_deal


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _fill(start, end, owner_id):
    stages = ["Lead", "Qualified", "Proposal", "Won"]
    for n in range(start, end):
        company = make_company(name=f"Company {n}")
        make_deal(
            company_id=company.id,
            title=f"Deal {n}",
            stage=stages[n % 4],
            currency="EUR" if n % 3 else "USD",
            owner_id=owner_id,
        )


def _statements(client, url):
    db.session.expire_all()
    with counted() as statements:
        assert client.get(url).status_code == 200
    return statements


def test_pages_do_not_query_per_deal(client, sign_in):
    rep = sign_in("rep")
    _fill(0, 4, rep.id)
    few = {
        url: _statements(client, url) for url in ("/deals/board", "/deals", "/deals/board/print")
    }
    _fill(4, 40, rep.id)
    for url, statements in few.items():
        assert len(_statements(client, url)) == len(statements), url
    board = _statements(client, "/deals/board")
    assert sum("GROUP BY deals.stage, deals.currency" in s for s in board) == 1
