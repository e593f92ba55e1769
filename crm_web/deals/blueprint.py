"""The deals blueprint and its template helpers; views.py, board_views.py and stage_views.py
add their routes to it."""

from __future__ import annotations

from flask import Blueprint

from crm_web.deals.display import deal_date, deal_money

bp = Blueprint("deals", __name__)


bp.add_app_template_filter(deal_money, "deal_money")
bp.add_app_template_filter(deal_date, "deal_date")
