"""No import circles among the app's modules (type-checking imports included), so a child module never
needs its parent's private surface. import-linter's contracts cover the layers; this covers cycles
inside a layer (e.g. two widgets importing each other)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp


def import_cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_cycle_finder_finds_circles_and_only_circles() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["e"], "e": [], "x": ["y"], "y": ["x"]}
    assert sorted(import_cycles(edges)) == [["a", "b", "c"], ["x", "y"]]
    assert import_cycles({"a": ["b"], "b": ["c"], "c": []}) == []


def test_app_has_no_import_cycles() -> None:
    graph = grimp.build_graph("app", include_external_packages=False, cache_dir=None)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    cycles = import_cycles(edges)
    assert not cycles, "import circles (break them; a child must not import its parent):\n" + "\n".join(
        " <-> ".join(group) for group in cycles)
