"""The home page's read model: where a signed-in user's day starts. It gathers the user's own
open deals closing soonest, the contacts and companies they last touched, and the pipeline's
totals, each from its area's services (one LIMITed, index-backed query apiece)."""

from __future__ import annotations

from crm_web.companies.services import my_recent_companies
from crm_web.contacts.services import my_recent_contacts
from crm_web.core.actor import Actor
from crm_web.deals.pipeline import get_board_totals
from crm_web.deals.services import my_open_deals

DEALS_SHOWN = 5
RECORDS_SHOWN = 5


def home_page(actor: Actor) -> dict:
    """What the home page shows `actor`: their deals, recent records and the pipeline."""
    return {
        "deals": my_open_deals(actor, DEALS_SHOWN),
        "contacts": my_recent_contacts(actor, RECORDS_SHOWN),
        "companies": my_recent_companies(actor, RECORDS_SHOWN),
        "pipeline": get_board_totals({}, actor),
    }
