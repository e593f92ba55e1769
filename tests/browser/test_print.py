"""The printed pipeline: 200 deals to PDF through Chromium's print engine (A4 landscape), read
back with pypdf: every total right, every row whole on one page, nothing but the pipeline."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import ARTIFACTS, committed_user, login, screenshot

STAGES = [("Lead", 10), ("Qualified", 25), ("Proposal", 50), ("Negotiation", 75), ("Won", 100)]


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def _pipeline(app) -> list[dict]:
    """200 committed deals over five stages, mostly USD, every seventh in EUR."""
    from crm_web.core.db import db
    from tests.support import ADMIN, make_company, make_deal

    deals = []
    with app.app_context():
        companies = [make_company(name=f"Customer {c}").id for c in "ABCDE"]
        for n in range(200):
            stage, probability = STAGES[n % len(STAGES)]
            spec = {
                "title": f"PX-{n:03d} renewal",
                "stage": stage,
                "value": Decimal(1000 + n * 37) + Decimal(n % 4) / 4,
                "currency": "EUR" if n % 7 == 0 else "USD",
                "close_date": f"2027-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "company_id": companies[n % 3],
            }
            make_deal(by=ADMIN, **{**spec, "value": str(spec["value"])})
            deals.append({**spec, "probability": probability})
        db.session.remove()
    return deals


def _totals(deals):
    """{(stage or None for all, currency): (count, total, weighted)} computed independently."""
    out: dict = {}
    for deal in deals:
        weighted = deal["value"] * deal["probability"] / 100
        for key in ((deal["stage"], deal["currency"]), (None, deal["currency"])):
            count, total, wsum = out.get(key, (0, Decimal(0), Decimal(0)))
            out[key] = (count + 1, total + deal["value"], wsum + weighted)
    return out


def test_printed_pipeline_of_200_deals_has_right_totals_and_whole_rows(app, page):
    deals = _pipeline(app)
    committed_user(app, email="rep@example.com", name="Robin Rep")
    login(page, "rep@example.com")
    page.goto("/deals/board/print")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", landscape=True, print_background=False)
    screenshot(page, "print-view-print-media")

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pipeline.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width - 842) < 2 and abs(height - 595) < 2  # A4 landscape, in points
    # NFKC folds ligatures (fi) that a PDF may store as one glyph back into letters.
    pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]
    assert len(pages) > 3
    everything = "\n".join(pages)

    # Each row is whole on exactly one page: its title once, its value on that same page.
    for deal in deals:
        holders = [i for i, text in enumerate(pages) if deal["title"] in text]
        assert len(holders) == 1, f"{deal['title']} appears on pages {holders}"
        assert everything.count(deal["title"]) == 1
        assert _money(deal["value"], deal["currency"]) in pages[holders[0]], deal["title"]

    totals = _totals(deals)
    first = pages[0]
    assert "Pipeline" in first and "All deals" in first and "200 deals" in first
    for currency in ("EUR", "USD"):
        count, total, weighted = totals[(None, currency)]
        assert _money(total, currency) in first
        assert f"weighted {_money(weighted, currency)}" in first
    for stage, _ in STAGES:
        for currency in ("EUR", "USD"):
            count, total, weighted = totals[(stage, currency)]
            label = f"{stage} total {currency} ({count})"
            holder = next(text for text in pages if label in text)
            line = holder[holder.index(label) :].splitlines()[0]
            assert _money(total, currency) in line and _money(weighted, currency) in line, line
    assert "Lost · 0 deals" in everything and "No deals." in everything

    # Nothing but the pipeline: no navigation, buttons or links back.
    for chrome in ("Contacts", "Companies", "Sign out", "Back to the board", "Search"):
        assert chrome not in everything

    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(ARTIFACTS / "pipeline.pdf"),
                str(ARTIFACTS / "print-pdf-page-1"),
            ],
            check=True,
        )
        assert (ARTIFACTS / "print-pdf-page-1.png").stat().st_size > 0


def test_the_board_printed_from_the_browser_drops_the_controls(app, page):
    from crm_web.core.db import db
    from tests.support import make_company, make_deal

    with app.app_context():
        company = make_company(name="Umbrella")
        for n, stage in enumerate(["Lead", "Lead", "Proposal", "Won"]):
            make_deal(title=f"Printed {n}", stage=stage, value="100", company_id=company.id)
        db.session.remove()
    committed_user(app, email="rep@example.com", name="Robin Rep")
    login(page, "rep@example.com")
    page.goto("/deals/board")
    page.emulate_media(media="print")
    for hidden in (".board-filters", ".topbar", ".board-help", ".page-actions", ".collapse-toggle"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".deal-card")).to_have_count(4)
    for card in page.locator(".deal-card").all():
        expect(card).to_be_visible()
        assert card.evaluate("el => getComputedStyle(el).display") == "table-row"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    screenshot(page, "board-print-media")
