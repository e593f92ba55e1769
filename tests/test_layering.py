"""Areas depend one way (DESIGN §3): the import graph of crm_web, read from each module's
imports with `ast`, has no cycle; an area's modules import only lower areas; only an area itself
touches its repository; every module imports on its own; imports sit at the top of modules."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "crm_web"

# Lowest first. Plumbing (core, keyset pagination, settings) is below every area; jobs (the
# queue and batched jobs) knows only core: tasks are registered by the modules above; records
# holds what spans areas (record pages, cascading operations); the app wires it all together;
# tools (demo data, the bench) sit on top and are never imported by the app. The REST API
# (api) sits above records: it calls the areas' services and read models, as views do.
ORDER = (
    "core",
    "jobs",
    "accounts",
    "audit",
    "custom_fields",
    "companies",
    "contacts",
    "deals",
    "activities",
    "search",
    "imports",
    "records",
    "api",
    "views",
    "app",
    "tools",
)
PLUMBING = {"core", "lists", "config"}
APP = {"__init__", "web", "cli"}

# (importer, imported): a higher area's model a lower repository joins on, with the reason.
ALLOWED_UPWARD = {
    # A company row counts its live contacts in the same query (list pages and record page).
    ("crm_web.companies.repository", "crm_web.contacts.models"),
    # `crm seed-demo` loads the demo loader when it runs (a comment there says so), not at start-up.
    ("crm_web.cli", "crm_web.tools.demo"),
    # `crm backup`, `crm restore` and `crm verify` load the backup tool when they run.
    ("crm_web.cli", "crm_web.tools.backup"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_view(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last in ("views", "blueprint") or last.endswith("_views")


def area(module: str) -> str:
    """The package of crm_web a module belongs to ("app" for the top-level modules)."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] in APP):
        return "app"
    return parts[1]


def layer(module: str) -> int:
    """Where a module sits in ORDER; an unknown package must be placed there first."""
    name = area(module)
    if name == "app":
        return ORDER.index("app")
    if _is_view(module):
        return ORDER.index("views")
    if name in PLUMBING:
        return 0
    assert name in ORDER, f"{module}: place the package {name!r} in ORDER (tests/test_layering)"
    return ORDER.index(name)


def _imports(tree: ast.Module):
    """Every import statement of a module: those at its top, and the few a function body may
    hold (see LAZY_IMPORTS): a dependency hidden in a function is a dependency all the same."""
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def _targets(module: str, node) -> set[str]:
    """The crm_web modules an import statement loads (a `from x import y` names module x.y
    when there is one)."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}
    return {name for name in names if name in MODULES}


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[module] = set().union(*(_targets(module, n) for n in _imports(tree)))
        graph[module].discard(module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_another_in_a_cycle():
    assert _cycles(import_graph()) == []


def test_an_area_imports_only_lower_areas():
    upward = [
        f"{module} ({area(module)}) imports {target} ({area(target)})"
        for module, targets in import_graph().items()
        for target in targets
        if layer(target) > layer(module) and (module, target) not in ALLOWED_UPWARD
    ]
    assert upward == []


def test_only_an_area_itself_uses_its_repository():
    foreign = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if target.endswith(".repository") and area(target) not in PLUMBING | {area(module)}
    ]
    assert foreign == []


def test_the_checks_see_what_they_should():
    """The graph is read right: a known edge of each kind, and the rules catch the old loop."""
    graph = import_graph()
    assert "crm_web.contacts.services" in graph["crm_web.records.pages"]
    assert "crm_web.records.operations" in graph["crm_web.contacts.views"]
    assert layer("crm_web.contacts.services") < layer("crm_web.deals.services")
    assert layer("crm_web.activities.services") < layer("crm_web.records.pages")
    assert layer("crm_web.records.pages") < layer("crm_web.contacts.views")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


IMPORT_EACH = """
import sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "crm_web" or m.startswith("crm_web.")]:
        del sys.modules[loaded]
    try:
        __import__(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own():
    """Each module in a fresh set of crm_web modules (third-party ones stay loaded, so a few
    interpreters side by side take seconds): none relies on another having been imported first."""
    names = list(MODULES)
    chunks = max(2, min(4, os.cpu_count() or 1))
    runs = [
        subprocess.Popen(
            [sys.executable, "-W", "ignore", "-c", IMPORT_EACH, *names[n::chunks]],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=PACKAGE.parent,
        )
        for n in range(chunks)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [out for run, out in zip(runs, outputs, strict=True) if run.returncode] == []


# Modules whose functions may import (each such import with a comment saying why).
LAZY_IMPORTS = {
    "crm_web": "model registration and the app factory's wiring",
    "crm_web.cli": "the seed-demo and backup commands load crm_web.tools only when they run",
    "crm_web.tools.bench": "a tool: the load generator loads the app only where it builds it",
}


def _comment_lines(source: str) -> set[int]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.start[0] for token in tokens if token.type == tokenize.COMMENT}


def _function_imports(tree: ast.Module):
    """Groups of consecutive import statements inside function bodies."""
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for block in ast.walk(function):
            for field in ("body", "orelse", "finalbody", "handlers"):
                group = []
                statements = getattr(block, field, None)
                if not isinstance(statements, list):
                    continue
                for statement in [*statements, None]:
                    if isinstance(statement, (ast.Import, ast.ImportFrom)):
                        group.append(statement)
                    elif group:
                        yield group
                        group = []


def function_body_imports(module: str, source: str) -> list[str]:
    """The imports in function bodies that break the rule, as `module:line` strings."""
    comments = _comment_lines(source)
    refused = []
    for group in _function_imports(ast.parse(source)):
        lines = set(range(group[0].lineno - 1, group[-1].end_lineno + 1))
        if module not in LAZY_IMPORTS or not lines & comments:
            refused += [f"{module}:{node.lineno}" for node in group]
    return sorted(set(refused))


def test_imports_sit_at_the_top_of_modules():
    refused = []
    for module, path in MODULES.items():
        refused += function_body_imports(module, path.read_text())
    assert refused == []


def test_a_function_body_import_is_refused_unless_allowed_and_explained():
    source = "def f():\n    import os\n\n\ndef g():\n    # why\n    import sys\n    import re\n"
    assert function_body_imports("crm_web.x", source) == [
        "crm_web.x:2",
        "crm_web.x:7",
        "crm_web.x:8",
    ]
    assert function_body_imports("crm_web.tools.bench", source) == ["crm_web.tools.bench:2"]
