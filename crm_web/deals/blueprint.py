"""The deals blueprint and its template helpers; views.py, board_views.py and stage_views.py
add their routes to it."""

from __future__ import annotations

from flask import Blueprint

from crm_web.core.dates import local_date
from crm_web.deals.display import deal_money

bp = Blueprint("deals", __name__)


# 1234.5, 'EUR' -> 'EUR 1,234.50' (deals/display.py, which draws the deal page's fields).
bp.add_app_template_filter(deal_money, "deal_money")


@bp.app_template_filter("deal_date")
def deal_date(value) -> str:
    """2026-03-05 -> '5 Mar 2026' (unambiguous in every locale): core.dates.local_date."""
    return local_date(value)
