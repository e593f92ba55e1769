"""Stage administration: add, rename, reorder, delete (moving the deals first)."""

import pytest

from crm_web.core.errors import PermissionDenied, ValidationError
from crm_web.deals import stages
from crm_web.deals.services import get_deal
from tests.support import ADMIN, actor, make_deal


def _names():
    return [s.name for s in stages.list_stages()]


def test_a_new_stage_goes_last_and_duplicates_are_refused(session):
    stages.create_stage({"name": "Demo", "default_probability": "40"}, ADMIN)
    assert _names()[-1] == "Demo"
    with pytest.raises(ValidationError) as caught:
        stages.create_stage({"name": "Demo", "default_probability": "101"}, ADMIN)
    assert set(caught.value.fields) == {"name", "default_probability"}


def test_a_stage_cannot_be_both_won_and_lost(session):
    with pytest.raises(ValidationError) as caught:
        stages.create_stage(
            {"name": "Odd", "default_probability": 5, "is_won": True, "is_lost": True}, ADMIN
        )
    assert "is_lost" in caught.value.fields


def test_only_admins_manage_stages(session):
    with pytest.raises(PermissionDenied):
        stages.create_stage({"name": "Demo", "default_probability": 40}, actor("manager"))


def test_renaming_a_stage_renames_it_on_its_deals(session):
    deal = make_deal(stage="Proposal")
    stage = next(s for s in stages.list_stages() if s.name == "Proposal")
    stages.update_stage(stage.id, {"name": "Offer"}, ADMIN, expected_version=stage.version)
    session.expire_all()
    assert get_deal(deal.id).stage == "Offer"


def test_reordering_moves_a_stage_and_keeps_positions_dense(session):
    lead = stages.list_stages()[0]
    stages.move_stage(lead.id, "down", ADMIN)
    assert _names()[:2] == ["Qualified", "Lead"]
    assert [s.position for s in stages.list_stages()] == [1, 2, 3, 4, 5, 6]
    order = list(reversed([s.id for s in stages.list_stages()]))
    stages.reorder_stages(order, ADMIN)
    assert _names()[0] == "Lost"


def test_a_stage_with_deals_is_not_deleted_without_moving_them(session):
    deal = make_deal(stage="Qualified")
    make_deal(stage="Qualified", company_id=deal.company_id)
    qualified = next(s for s in stages.list_stages() if s.name == "Qualified")
    with pytest.raises(ValidationError) as caught:
        stages.delete_stage(qualified.id, ADMIN)
    assert caught.value.fields["move_to"] == [
        "Qualified has 2 deals: choose a stage to move them to."
    ]
    assert "Qualified" in _names()

    stages.delete_stage(qualified.id, ADMIN, move_to="Proposal")
    assert "Qualified" not in _names()
    moved = get_deal(deal.id)
    assert (moved.stage, moved.probability) == ("Proposal", 50)
    assert [s.position for s in stages.list_stages()] == [1, 2, 3, 4, 5]


def test_an_empty_stage_is_deleted(session):
    demo = stages.create_stage({"name": "Demo", "default_probability": 40}, ADMIN)
    stages.delete_stage(demo.id, ADMIN)
    assert "Demo" not in _names()
