"""The package's import graph, read from its source: no module reaches itself through its imports, and
the corpus library never reaches up into the tools built on it.

A cycle makes a module's meaning depend on import order, and an import moved inside a function to dodge
one only hides it until the function runs, so imports inside functions count here as much as those at
the top of a file.  (The package uses absolute imports only; a relative one fails the first test.)
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "namuweb"
TOOL_PACKAGES = ("namuweb.embeddings", "namuweb.language_model", "namuweb.morphemes")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, ast.AST]:
    return {module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in PACKAGE.rglob("*.py")}


def imported_names(tree: ast.AST, modules: set[str]) -> set[str]:
    """The package's modules a source imports, anywhere in it; ``from pkg import sub`` is an arrow to
    ``pkg.sub`` alone (and to ``pkg`` too when it also takes a name defined in ``pkg``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import of {node.module!r}"
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found |= submodules if len(submodules) == len(node.names) else submodules | {node.module}
    return found & modules


def import_graph() -> dict[str, set[str]]:
    trees = sources()
    return {name: imported_names(tree, set(trees)) - {name} for name, tree in trees.items()}


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert len(graph) > 40 and "namuweb.cli" in graph["namuweb.__main__"]
    # both kinds of statement are read: ``from namuweb import config`` and ``from namuweb.jobs import state``
    assert "namuweb.config" in graph["namuweb.cli"] and "namuweb.jobs.state" in graph["namuweb.jobs.kinds"]


def test_no_module_reaches_itself_through_its_imports():
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail("import cycle: " + " → ".join(cycle.args[1]))


@pytest.mark.parametrize("tool", TOOL_PACKAGES)
def test_the_corpus_library_never_imports_a_tool_built_on_it(tool):
    upward = sorted((source, target) for source, targets in import_graph().items() for target in targets
                    if source.startswith("namuweb.corpora") and (target == tool or target.startswith(tool + ".")))
    assert not upward, f"namuweb.corpora imports {tool}: {upward}"
