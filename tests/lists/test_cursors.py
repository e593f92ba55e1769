"""Every list reads a forged or garbage cursor as its first page (200), never as a server error."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest

from crm_web.core.actor import SYSTEM
from crm_web.lists.keyset import encode_cursor
from tests.support import make_company, make_contact, make_deal

LINK = re.compile(r'href="/(?:contacts|companies|deals)/([0-9a-f-]{36})"')
CARD = re.compile(r'id="deal-([0-9a-f-]{36})"')


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.fixture
def rep(client, session):
    from crm_web.accounts.services import create_user

    user = create_user(
        {
            "email": "rep@example.com",
            "name": "Robin Rep",
            "role": "rep",
            "password": "long enough pw",
        },
        SYSTEM,
    )
    with client.session_transaction() as s:
        s["_user_id"] = user.get_id()
        s["_fresh"] = True
    return user


def _forged(some_id: str) -> list[str]:
    # A lone surrogate is valid JSON but no UTF-8: psycopg cannot send it to PostgreSQL.
    surrogate = json.dumps(["\ud800"])
    return [
        "garbage",
        "%00",
        "W1tbWw",
        _b64(surrogate),
        _b64(json.dumps(["\ud800", some_id])),
        _b64(json.dumps(["\ud800", "\ud800", some_id])),
        _b64(json.dumps([0, "\ud800", "\ud800", some_id])),
        _b64(json.dumps([False, "\ud800", some_id])),
        _b64(json.dumps([None, "\ud800"])),
        encode_cursor(["2026-01-01", "not-an-id"]),
        "2026-01-01~" + some_id,  # the board's old format
        base64.urlsafe_b64encode(b"[" * 3000).decode(),
    ]


def _first_page(client, url, pattern=LINK):
    first = client.get(url)
    assert first.status_code == 200
    return pattern.findall(first.text)


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/?sort=name",
        "/contacts/?q=ab",
        "/contacts/?q=abc",
        "/contacts/?q=abc&sort=name",
        "/contacts/?sort=company",
        "/companies/?sort=name",
        "/companies/?sort=city",
        "/deals?sort=title",
        "/deals?sort=stage",
        "/deals?sort=close_date",
        "/deals?archived=1",
    ],
)
def test_a_forged_cursor_reads_as_the_first_page_of_every_list(client, rep, url):
    company = make_company(name="Abc Widgets")
    contact = make_contact(first_name="Abc", last_name="Abcott", company_id=company.id)
    deal = make_deal(company_id=company.id, title="Abc deal")
    if "archived" in url:
        from crm_web.deals.services import archive_deal

        archive_deal(deal.id, SYSTEM)
    expected = _first_page(client, url)
    assert expected
    for cursor in _forged(str(contact.id)):
        for param in ("after", "before"):
            response = client.get(f"{url}&{param}={quote(cursor)}")
            assert response.status_code == 200, (url, param, cursor)
            assert LINK.findall(response.text) == expected, (url, param, cursor)


def test_a_forged_cursor_reads_as_the_first_cards_of_a_board_column(client, rep):
    from crm_web.deals.stages import list_stages

    company = make_company()
    for n in range(30):
        make_deal(company_id=company.id, title=f"Card {n:02d}", stage="Lead")
    lead = next(s for s in list_stages() if s.name == "Lead")
    expected = _first_page(client, f"/deals/board/columns/{lead.id}?", CARD)
    assert len(expected) == 25
    some_id = expected[3]
    for cursor in _forged(some_id) + [_b64(json.dumps(["\ud800", some_id]))]:
        response = client.get(f"/deals/board/columns/{lead.id}?after={quote(cursor)}")
        assert response.status_code == 200, cursor
        assert CARD.findall(response.text) == expected, cursor


def test_a_board_column_pages_with_the_lists_cursor_format(client, rep):
    from crm_web.lists.keyset import decode_cursor

    company = make_company()
    for n in range(30):
        make_deal(company_id=company.id, title=f"Card {n:02d}", stage="Lead")
    html = client.get("/deals/board").text
    cursor = re.search(r"/deals/board/columns/[^\"]+after=([^\"&]+)", html).group(1)
    from crm_web.deals.repository import BOARD_KEY

    assert "~" not in cursor and decode_cursor(cursor, BOARD_KEY) is not None
