"""The pipeline board: columns of cards, drag or keys to move a deal, and the printable pipeline."""

from __future__ import annotations

from datetime import date

from flask import request

from crm_web.accounts.auth import current_actor, requires
from crm_web.core.errors import ConflictError, ValidationError
from crm_web.core.htmx import render
from crm_web.core.replica import reads_replica
from crm_web.deals import pipeline, services
from crm_web.deals.blueprint import bp


def _filters() -> dict:
    return pipeline.board_filters(request.args)


@bp.get("/deals/board")
@requires("records.read")
@reads_replica
def board():
    """The board; an HTMX filter change gets only the `board` block."""
    filters = _filters()
    board = pipeline.get_board(filters, current_actor())
    return render(
        "deals/board.html",
        "board",
        board=board,
        owners=board.owners,
        filter_args=pipeline.filter_args(filters),
    )


@bp.get("/deals/board/columns/<stage_id>")
@requires("records.read")
@reads_replica
def column(stage_id):
    """The next cards of a column, swapped in place of its 'load more' row."""
    filters = _filters()
    stage, deals, cursor = pipeline.get_column(
        stage_id, filters, request.args.get("after"), current_actor()
    )
    return render(
        "deals/_cards.html",
        stage=stage,
        deals=deals,
        cursor=cursor,
        filter_args=pipeline.filter_args(filters),
    )


@bp.post("/deals/<deal_id>/stage")
@requires("records.update")
def move(deal_id):
    """Move a card to another stage with the version it showed. The card is swapped in place;
    column headers, grand totals and the live region follow out of band."""
    status, message = 200, None
    try:
        deal = services.move_deal(
            deal_id, request.form.get("stage", ""), current_actor(), request.form.get("version")
        )
        announcement = f"Moved {deal.title} to {deal.stage}."
    except (ConflictError, ValidationError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        deal = services.get_deal(deal_id)
        message = f"Not moved: {_why(exc)} It is in {deal.stage}."
        announcement = f"{deal.title} was not moved. {message}"
    totals = pipeline.get_board_totals(_filters(), current_actor())
    return render(
        "deals/_moved.html",
        status=status,
        deal=deal,
        message=message,
        announcement=announcement,
        board=totals,
    )


def _why(exc) -> str:
    if isinstance(exc, ConflictError):
        return "someone changed this deal after the board loaded; it now shows their version."
    return " ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message


@bp.get("/deals/board/print")
@requires("records.read")
@reads_replica
def board_print():
    """Every matching deal by stage, laid out for A4 landscape paper."""
    filters = _filters()
    return render(
        "deals/print.html",
        board=pipeline.get_printable(filters, current_actor()),
        described=pipeline.describe_filters(filters),
        filter_args=pipeline.filter_args(filters),
        today=date.today(),
    )
