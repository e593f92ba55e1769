"""Pipeline stages: the board's columns. Admins add, rename, reorder and delete them."""

from __future__ import annotations

from crm_web.core import validation as v
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.errors import NotFoundError, ValidationError
from crm_web.core.permissions import authorize
from crm_web.core.repository import check_version
from crm_web.deals import repository as repo
from crm_web.deals.models import PipelineStage


def _clean(data: dict, existing: PipelineStage | None = None) -> dict:
    creating = existing is None
    check = v.Checker(data)
    if creating or check.has("name"):
        name = check.field("name", v.text, 100, required=True)
        other = repo.get_stage_by_name(name) if name else None
        if other is not None and other is not existing:
            check.fail("name", f"There is already a stage called {name!r}.")
    if creating or check.has("default_probability"):
        check.field("default_probability", v.integer, 0, 100, required=True)
    check.field("is_won", v.boolean)
    check.field("is_lost", v.boolean)
    clean = check.done()
    for flag in ("is_won", "is_lost"):
        if clean.get(flag) is None and flag in clean:
            clean[flag] = False
    is_won = clean.get("is_won", existing.is_won if existing else False)
    is_lost = clean.get("is_lost", existing.is_lost if existing else False)
    if is_won and is_lost:
        raise ValidationError({"is_lost": ["A stage cannot be both won and lost."]})
    return clean


def list_stages() -> list[PipelineStage]:
    return repo.list_stages()


def get_stage(stage_id) -> PipelineStage:
    stage = repo.get_stage(stage_id)
    if stage is None:
        raise NotFoundError("pipeline_stage", stage_id)
    return stage


def create_stage(data: dict, actor: Actor) -> PipelineStage:
    """Add a stage at the end of the pipeline. Admins."""
    authorize(actor, "stages.manage")
    clean = _clean(data)
    with transaction(actor) as session:
        stage = PipelineStage(
            **clean,
            position=repo.max_stage_position() + 1,
            created_by=actor.id,
            updated_by=actor.id,
        )
        session.add(stage)
        session.flush()
    return stage


def update_stage(stage_id, data: dict, actor: Actor, expected_version=None) -> PipelineStage:
    """Rename a stage (its deals follow: ON UPDATE CASCADE) or change its probability/flags."""
    authorize(actor, "stages.manage")
    with transaction(actor) as session:
        stage = _locked(stage_id)
        check_version(stage, expected_version)
        for name, value in _clean(data, stage).items():
            setattr(stage, name, value)
        stage.updated_by = actor.id
        session.flush()
    return stage


def move_stage(stage_id, direction: str, actor: Actor) -> list[PipelineStage]:
    """Swap a stage with its neighbour ('up' = earlier on the board, 'down' = later)."""
    authorize(actor, "stages.manage")
    if direction not in ("up", "down"):
        raise ValidationError({"direction": ["Must be up or down."]})
    with transaction(actor) as session:
        stages = repo.list_stages()
        index = next((i for i, s in enumerate(stages) if str(s.id) == str(stage_id)), None)
        if index is None:
            raise NotFoundError("pipeline_stage", stage_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(stages):
            stages[index], stages[other] = stages[other], stages[index]
        _renumber(stages, actor)
        session.flush()
    return repo.list_stages()


def reorder_stages(stage_ids: list, actor: Actor) -> list[PipelineStage]:
    """Put the stages in the given order (every stage named exactly once)."""
    authorize(actor, "stages.manage")
    with transaction(actor) as session:
        stages = {str(s.id): s for s in repo.list_stages()}
        wanted = [str(i) for i in stage_ids]
        if sorted(wanted) != sorted(stages):
            raise ValidationError({"order": ["Name every stage exactly once."]})
        _renumber([stages[i] for i in wanted], actor)
        session.flush()
    return repo.list_stages()


def delete_stage(stage_id, actor: Actor, move_to: str | None = None) -> None:
    """Delete a stage. Its deals (archived ones too) must go somewhere: `move_to` names the
    stage that receives them; without it a stage with deals is refused with a message."""
    authorize(actor, "stages.manage")
    with transaction(actor) as session:
        stage = _locked(stage_id)
        count = repo.count_deals_in_stage(stage.name)
        if count:
            target = repo.get_stage_by_name(move_to) if move_to else None
            if target is None or target.id == stage.id:
                deals = "1 deal" if count == 1 else f"{count} deals"
                raise ValidationError(
                    {"move_to": [f"{stage.name} has {deals}: choose a stage to move them to."]},
                    f"{stage.name} still has {deals}.",
                )
            for deal in repo.deals_in_stage(stage.name):
                deal.stage = target.name
                deal.probability = target.default_probability
                deal.updated_by = actor.id
            session.flush()
        session.delete(stage)
        session.flush()
        _renumber(repo.list_stages(), actor)
        session.flush()


def _renumber(stages: list[PipelineStage], actor: Actor) -> None:
    for position, stage in enumerate(stages, start=1):
        if stage.position != position:
            stage.position = position
            stage.updated_by = actor.id


def _locked(stage_id) -> PipelineStage:
    stage = repo.get_stage(stage_id, for_update=True)
    if stage is None:
        raise NotFoundError("pipeline_stage", stage_id)
    return stage
