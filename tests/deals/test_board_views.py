"""The board and print pages through the test client: fragments, moves, conflicts, totals."""

import re

from crm_web.audit.services import history_of_entity
from crm_web.deals import repository as deals_repository
from crm_web.deals.services import get_deal, update_deal
from tests.support import ADMIN, make_company, make_deal, make_user, sign_in

HTMX = {"HX-Request": "true"}


def test_board_shows_a_column_per_stage_with_per_currency_totals(client):
    sign_in(client, "rep")
    company = make_company(name="Globex")
    make_deal(company_id=company.id, title="Big one", value="1000", stage="Proposal")
    make_deal(
        company_id=company.id, title="Euro one", value="500", stage="Proposal", currency="EUR"
    )
    page = client.get("/deals/board")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="column-cards"') == 6
    assert "Big one" in html and "Globex" in html
    assert "USD 1,000.00" in html and "weighted USD 500.00" in html
    assert "EUR 500.00" in html and "weighted EUR 250.00" in html
    assert "USD 1,500.00" not in html  # currencies are never added together
    # A card's move goes to the board's data-deals-url + "/<id>/stage" (static/js/board.js): no
    # URL of its own on each of a board's 150 cards.
    assert '<div class="board" data-deals-url="/deals">' in html and "data-move-url" not in html


def test_a_full_column_loads_more_cards_on_demand(client):
    sign_in(client, "rep")
    company = make_company()
    for n in range(30):
        make_deal(company_id=company.id, title=f"Card {n:02d}", stage="Lead")
    html = client.get("/deals/board").text
    assert html.count('class="deal-card') == 25
    more = re.search(r'hx-get="([^"]*/deals/board/columns/[^"]+)"', html).group(1)
    rest = client.get(more.replace("&amp;", "&"), headers=HTMX)
    assert rest.text.count('class="deal-card') == 5
    assert "load-more" not in rest.text


def test_moving_a_card_returns_it_with_the_totals_out_of_band(client):
    rep = sign_in(client, "rep")
    deal = make_deal(title="Mover", value="200", stage="Lead")
    response = client.post(
        f"/deals/{deal.id}/stage", data={"stage": "Won", "version": deal.version}, headers=HTMX
    )
    assert response.status_code == 200
    assert 'data-stage="Won"' in response.text
    assert response.text.count('hx-swap-oob="true"') == 6 + 2  # heads, grand totals, status
    assert "Moved Mover to Won." in response.text
    assert get_deal(deal.id).stage == "Won"
    audit = history_of_entity("deal", deal.id)[-1]
    assert audit.changes["stage"] == ["Lead", "Won"]
    assert audit.user_id == str(rep.id)  # the person who dragged it


def test_a_stale_move_is_refused_with_a_message_and_nothing_changes(client):
    sign_in(client, "rep")
    deal = make_deal(title="Contested", stage="Lead")
    seen = deal.version
    update_deal(deal.id, {"stage": "Qualified"}, ADMIN, expected_version=seen)
    response = client.post(
        f"/deals/{deal.id}/stage", data={"stage": "Lost", "version": seen}, headers=HTMX
    )
    assert response.status_code == 409
    assert 'data-stage="Qualified"' in response.text
    assert "someone changed this deal" in response.text
    assert get_deal(deal.id).stage == "Qualified"


def test_viewers_cannot_move_cards(client):
    sign_in(client, "viewer")
    deal = make_deal(stage="Lead")
    response = client.post(f"/deals/{deal.id}/stage", data={"stage": "Won", "version": 1})
    assert response.status_code == 403
    assert get_deal(deal.id).stage == "Lead"


def test_moves_need_the_csrf_token(app, client, monkeypatch):
    sign_in(client, "rep")
    deal = make_deal(stage="Lead")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/deals/{deal.id}/stage", data={"stage": "Won", "version": 1})
    assert response.status_code in (400, 403)
    assert get_deal(deal.id).stage == "Lead"


def test_print_view_lists_every_deal_by_stage_with_totals(client):
    sign_in(client, "rep")
    company = make_company()
    for n in range(40):
        make_deal(company_id=company.id, title=f"Row {n:02d}", value="100", stage="Lead")
    html = client.get("/deals/board/print").text
    assert all(f"Row {n:02d}" in html for n in range(40))
    assert "Lead total USD (40)" in html
    assert "USD 4,000.00" in html and "USD 400.00" in html


def test_the_board_and_print_view_show_markup_in_names_as_text(client):
    """Cards and printed rows are drawn in Python (deals/display.py): every name is escaped,
    in the text and in the card's aria-label, as the templates' autoescape did."""
    sign_in(client, "rep")
    hostile = '<img src=x onerror="alert(1)">'
    company = make_company(name=f"Tom & {hostile}")
    owner = make_user("rep", name=f"Rita {hostile}")
    make_deal(company_id=company.id, title=f"Deal {hostile}", stage="Lead", owner_id=owner.id)
    for html in (client.get("/deals/board").text, client.get("/deals/board/print").text):
        assert "<img" not in html
        assert "Deal &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
        assert "Tom &amp; &lt;img" in html and "Rita &lt;img" in html


def test_a_print_view_past_its_bound_says_how_many_deals_it_holds(client, monkeypatch):
    from crm_web.deals import pipeline

    monkeypatch.setattr(pipeline, "PRINT_LIMIT", 5)
    sign_in(client, "rep")
    company = make_company()
    for n in range(8):
        make_deal(company_id=company.id, title=f"Row {n:02d}", value="100", stage="Lead")
    html = client.get("/deals/board/print").text
    assert sum(f"Row {n:02d}" in html for n in range(8)) == 5
    assert "the first 5 of 8 matching deals" in html
    assert "Lead · 8 deals (5 listed)" in html
    assert "Lead total USD (8)" in html and "USD 800.00" in html  # totals count them all


def test_board_filters_narrow_cards_and_totals(client):
    rep = sign_in(client, "rep")
    company = make_company()
    make_deal(company_id=company.id, title="Mine", value="10", stage="Lead", owner_id=rep.id)
    make_deal(company_id=company.id, title="Theirs", value="20", stage="Lead")
    html = client.get(f"/deals/board?owner_id={rep.id}").text
    assert "Mine" in html and "Theirs" not in html
    assert "USD 10.00" in html and "USD 30.00" not in html


def test_one_owners_board_after_anothers_shows_the_second_owners_deals(client):
    """The board's statement is built once per shape, the owner a value given at each run: the
    second owner's board must not show the first's cards or totals."""
    rep, other = sign_in(client, "rep"), make_user("rep")
    make_deal(title="Rep deal", value="10", stage="Lead", owner_id=rep.id)
    make_deal(title="Other deal", value="20", stage="Lead", owner_id=other.id)
    first = client.get(f"/deals/board?owner_id={rep.id}").text
    built = len(deals_repository._BOARDS)
    second = client.get(f"/deals/board?owner_id={other.id}").text
    assert len(deals_repository._BOARDS) == built  # the same statement, another owner
    assert "Rep deal" in first and "Other deal" not in first and "USD 20.00" not in first
    assert "Other deal" in second and "Rep deal" not in second and "USD 10.00" not in second
    assert "USD 20.00" in second


def test_odd_query_strings_never_break_the_pages(client):
    sign_in(client, "rep")
    make_deal()
    for url in (
        "/deals/board/print?_scheme=javascript&_external=1&owner_id=nope",
        "/deals/board?close_from=yesterday&owner_id=%00",
        "/deals?after=99999999999999999999999&sort=drop+table",
        "/deals?before=W1tbWw&last=1&sort=stage",
        "/deals/board/columns/not-a-stage",
    ):
        response = client.get(url)
        # A NUL is refused at the door with a message (core/input_guard.py), never a 5xx.
        assert response.status_code in (200, 400, 404), url


def _headline(html):
    """The board's headline (grand totals) as a reader sees it: its text, spaces collapsed."""
    block = re.search(r'<div class="grand-totals" id="grand-totals".*?</div>', html, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


def test_the_board_headline_sums_open_deals_and_counts_won_and_lost_apart(client):
    sign_in(client, "rep")
    company = make_company(name="Globex")
    make_deal(company_id=company.id, title="Open A", value="1000", stage="Lead")
    make_deal(company_id=company.id, title="Open B", value="3000", stage="Negotiation")
    make_deal(company_id=company.id, title="Won one", value="500", stage="Won")
    for title in ("Lost one", "Lost two"):
        make_deal(company_id=company.id, title=title, value="9000", stage="Lost")
    headline = _headline(client.get("/deals/board").text)
    # 1,000 at 10% and 3,000 at 75%: the won 500 and the lost 18,000 are not in the open sum.
    assert headline.startswith("Open: 2 deals USD 4,000.00 weighted USD 2,350.00"), headline
    assert "Won: 1 · Lost: 2" in headline
    assert "Pipeline" not in headline and "22,500" not in headline


def test_a_move_updates_the_headline_out_of_band(client):
    sign_in(client, "rep")
    deal = make_deal(title="Closing", value="1000", stage="Negotiation")
    moved = client.post(f"/deals/{deal.id}/stage", data={"stage": "Won", "version": deal.version})
    assert moved.status_code == 200
    headline = _headline(moved.text)
    assert headline == "Open: 0 deals Won: 1 · Lost: 0", headline


def test_the_board_writes_its_counts_with_thousands_separators(app):
    # The bench's board read "Open: 33259 deals" beside "USD 2,004,373,024.84".
    from types import SimpleNamespace

    from flask import get_template_attribute

    count = SimpleNamespace
    board = count(
        open=count(count=33259, per_currency=[]), won=count(count=8486), lost=count(count=1)
    )
    column = count(
        stage=count(id=1, name="Lead", default_probability=10),
        totals=count(count=8548, per_currency=[]),
    )
    with app.test_request_context():
        headline = str(get_template_attribute("deals/_macros.html", "grand_totals")(board))
        head = str(get_template_attribute("deals/_macros.html", "column_head")(column))
    assert "Open: 33,259 deals" in headline and "Won: 8,486 · Lost: 1" in headline
    assert '<span class="count" aria-label="8,548 deals">8,548</span>' in head
