"""The shape of the imports (README, "Architecture"): apps depend one way, and no module
imports back into a module that imports it.

- The layers contract lives in pyproject.toml (``[tool.importlinter]``). CI runs it with
  ``lint-imports`` and this file runs it too, so ``scripts/test`` alone catches a broken layer.
- import-linter has no contract for cycles between any two modules, so this file builds the
  import graph with grimp (import-linter's graph library) and looks for its strongly connected
  components. Every import statement counts, one inside a function too: deferring an import
  to call time hides a cycle from Python, not from the design.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest
from importlinter.cli import lint_imports

from tests import project

# Every package of the project, the project-wide tests and the benchmarks included.
PACKAGES = (*project.PACKAGES, "tests", "bench")


def import_cycles(edges: Mapping[str, Iterable[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module of the graph ``edges``
    (module → the modules it imports): each is a set of modules that all reach one another.

    Tarjan's algorithm, written iteratively: a chain of imports is deeper than Python's
    recursion limit allows for in a large graph.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    for root in sorted(edges):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        # Each frame: a module and the iterator over the modules it imports.
        frames = [(root, iter(sorted(edges.get(root, ()))))]
        while frames:
            module, targets = frames[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    frames.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                frames.pop()
                if frames:
                    parent = frames[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.add(frozenset(component))
    return found


def describe(graph: grimp.ImportGraph, cycle: frozenset[str]) -> str:
    """The imports inside ``cycle``, one a line, with where they are."""
    lines = [" ↔ ".join(sorted(cycle))]
    for importer in sorted(cycle):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & cycle):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(
                    f"    {importer}:{detail['line_number']} → {imported}: "
                    f"{detail['line_contents']}"
                )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)


def test_no_module_imports_back_into_a_module_that_imports_it(graph):
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    cycles = import_cycles(edges)

    found = sorted(cycles, key=sorted)
    assert not found, "import cycles:\n" + "\n".join(describe(graph, cycle) for cycle in found)


def test_apps_depend_one_way(capsys):
    """The layers contract of pyproject.toml, as ``lint-imports`` checks it in CI."""
    status = lint_imports(
        config_filename=str(project.ROOT / "pyproject.toml"), no_cache=True, no_logo=True
    )
    assert status == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, set()),
        ({"a": {"b"}, "b": {"a"}}, {frozenset("ab")}),
        # a loop of three, and a module that only imports into it
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, {frozenset("abc")}),
        # two loops joined by one import: two components
        ({"a": {"b"}, "b": {"a", "c"}, "c": {"d"}, "d": {"c"}}, {frozenset("ab"), frozenset("cd")}),
        # two loops sharing a module: one component
        ({"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}, {frozenset("abc")}),
        # a module that imports itself is not a cycle between modules
        ({"a": {"a"}}, set()),
    ],
)
def test_import_cycles_finds_each_loop_once(edges, expected):
    assert import_cycles(edges) == expected


def test_import_cycles_walks_a_long_chain_without_recursion():
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(5000)}
    chain["m5000"] = {"m0"}
    assert import_cycles(chain) == {frozenset(f"m{i}" for i in range(5001))}
