"""The deals blueprint and its template helpers; views.py, board_views.py and stage_views.py
add their routes to it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint

from crm_web.core.dates import local_date

bp = Blueprint("deals", __name__)


@bp.app_template_filter("deal_money")
def deal_money(amount, currency: str = "") -> str:
    """1234.5, 'EUR' -> 'EUR 1,234.50' (half up, as accountants round)."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {value:,.2f}".strip()


@bp.app_template_filter("deal_date")
def deal_date(value) -> str:
    """2026-03-05 -> '5 Mar 2026' (unambiguous in every locale): core.dates.local_date."""
    return local_date(value)
