"""Pipeline stage administration (admins): add, edit, reorder, delete after moving the deals."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from crm_web.accounts.auth import current_actor, requires
from crm_web.core.errors import ValidationError
from crm_web.core.htmx import render
from crm_web.deals import stages as service
from crm_web.deals.blueprint import bp


def _page(errors=None, failed=None, message=None, status=200, form=None):
    """The stages page; `failed` names the form ('new' or a stage id) the errors belong to."""
    return render(
        "deals/stages.html",
        None,
        status=status,
        stages=service.list_stages(),
        errors=errors or {},
        failed=failed,
        message=message,
        form=form or {},
    )


def _stage_form() -> dict:
    return {
        "name": request.form.get("name", ""),
        "default_probability": request.form.get("default_probability", ""),
        "is_won": "is_won" in request.form,
        "is_lost": "is_lost" in request.form,
    }


def _done(message: str):
    flash(message, "success")
    return redirect(url_for("deals.stages"), 303)


@bp.get("/admin/stages")
@requires("stages.manage")
def stages():
    """The pipeline's stages, in board order."""
    return _page()


@bp.get("/deals/stages")
@requires("stages.manage")
def stages_moved():
    """Where stages were managed before they joined the other settings under Admin."""
    return redirect(url_for("deals.stages"), 301)


@bp.post("/admin/stages")
@requires("stages.manage")
def stage_create():
    """Add a stage at the end."""
    data = _stage_form()
    try:
        stage = service.create_stage(data, current_actor())
    except ValidationError as exc:
        return _page(exc.fields, "new", exc.message, 422, data)
    return _done(f"Added the stage {stage.name}.")


@bp.post("/admin/stages/<stage_id>")
@requires("stages.manage")
def stage_update(stage_id):
    """Rename a stage or change its probability and won/lost flags."""
    data = _stage_form()
    try:
        stage = service.update_stage(stage_id, data, current_actor(), request.form.get("version"))
    except ValidationError as exc:
        return _page(exc.fields, stage_id, exc.message, 422, data)
    return _done(f"Saved the stage {stage.name}.")


@bp.post("/admin/stages/<stage_id>/move")
@requires("stages.manage")
def stage_move(stage_id):
    """Move a stage one place up (earlier) or down (later) on the board."""
    service.move_stage(stage_id, request.form.get("direction", ""), current_actor())
    return redirect(url_for("deals.stages"), 303)


@bp.post("/admin/stages/<stage_id>/delete")
@requires("stages.manage")
def stage_delete(stage_id):
    """Delete a stage; its deals first move to the stage chosen in `move_to`."""
    name = service.get_stage(stage_id).name
    try:
        service.delete_stage(stage_id, current_actor(), request.form.get("move_to") or None)
    except ValidationError as exc:
        return _page(exc.fields, stage_id, exc.message, 422)
    return _done(f"Deleted the stage {name}.")
