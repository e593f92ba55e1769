"""Reading query plans in tests: does a list page come straight from its index?"""

from sqlalchemy import event

from crm_web.core.db import db


def statements_of(run) -> list[tuple]:
    """(SQL, parameters) of every statement `run()` executes, in order."""
    captured = []

    def keep(conn, cursor, statement, parameters, *args):
        captured.append((statement, parameters))

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return captured


def plan_of(run) -> dict:
    """The JSON plan of the one statement `run()` executes, with its parameters."""
    captured = statements_of(run)
    assert len(captured) == 1
    return explained(captured[0])


def explained(statement: tuple, analyze: bool = False) -> dict:
    """The JSON plan of a captured (SQL, parameters); `analyze`: run, with actual rows."""
    sql, parameters = statement
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    explain = db.session.connection().exec_driver_sql(f"EXPLAIN ({options}) {sql}", parameters)
    return explain.scalar()[0]["Plan"]


def _paths_to(node: dict, index: str, above=()):
    """For each scan of `index`, the node types above it (outermost first)."""
    if node.get("Index Name") == index:
        yield above
    for child in node.get("Plans", ()):
        yield from _paths_to(child, index, (*above, node["Node Type"]))


def tree(node: dict, depth=0) -> str:
    """The plan as indented lines, for a failure's message."""
    line = " ".join(str(node.get(k, "")) for k in ("Node Type", "Index Name", "Index Cond"))
    children = "".join(tree(child, depth + 1) for child in node.get("Plans", ()))
    return f"\n{'  ' * depth}{line} rows={node['Plan Rows']}{children}"


def sorts(node: dict) -> int:
    return ("Sort" in node["Node Type"]) + sum(map(sorts, node.get("Plans", ())))


def read_in_order(plan: dict, index: str) -> bool:
    """Some scan of `index` feeds a Limit with no Sort in between: it reads about a page of
    index entries, in key order, never every matching row."""
    for above in _paths_to(plan, index):
        if "Limit" in above:
            below_limit = above[len(above) - above[::-1].index("Limit") :]
            if not any("Sort" in node for node in below_limit):
                return True
    return False


def cursors_to_check(fetch, depth: int) -> list[dict]:
    """Cursors of the first page, a page `depth` rows in, the page before that and the last
    page; `fetch(cursor, limit)` returns a list's (rows, next cursor, previous cursor)."""
    first = {"after": None, "before": None, "last": False}
    _, deep, _ = fetch(first, depth)
    _, _, before = fetch({**first, "after": deep}, 1)
    assert deep and before
    return [first, {**first, "after": deep}, {**first, "before": before}, {**first, "last": True}]
