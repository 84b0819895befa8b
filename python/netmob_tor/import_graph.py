"""Import cycles in the package: its modules' import graph, read with `ast`, and every cycle found in it.

A cycle makes the import order matter and the modules inseparable; `make lint` runs this check
(`python -m netmob_tor.import_graph`), which prints each cycle as `a -> b -> a` and exits 1 when there is any.
Every import counts, at module level or inside a function (a deferred import still ties the two modules),
except those under `if TYPE_CHECKING:`, which never run. Only imports of the package's own modules are edges:
`from pkg import name` is an edge to the module `pkg.name` when there is one, else to `pkg`.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from netmob_tor.paths import project_root

Graph = Mapping[str, set[str]]


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the package (a package is its __init__.py)."""
    found: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    """Whether an `if` is `if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth, but those under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _resolve_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a `from X import ...` reads from (relative imports resolved against `module`)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def imports_of(source: str, module: str, known: Iterable[str], is_package: bool = False) -> set[str]:
    """The package modules (among `known`) that a module's source imports, itself aside."""
    known = set(known)
    found: set[str] = set()
    for node in _imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b.c` imports a.b.c (its parents are packages' __init__, not counted as edges)
                if alias.name in known:
                    found.add(alias.name)
            continue
        origin = _resolve_from(node, module, is_package)
        for alias in node.names:
            candidate = f"{origin}.{alias.name}"
            if candidate in known:
                found.add(candidate)
            elif origin in known:
                found.add(origin)
    found.discard(module)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """module -> the package modules it imports, for every module of the package."""
    names = module_names(package_dir)
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, names, is_package=path.name == "__init__.py")
        for name, path in names.items()
    }


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        # iterative DFS: (node, iterator over its successors)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def _shortest_cycle(graph: Graph, start: str, within: set[str]) -> list[str]:
    """The shortest cycle from `start` back to itself inside a component (breadth-first, successors sorted)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.get(node, ())):
            if nxt not in within:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return []


def cycles(graph: Graph) -> list[list[str]]:
    """Each import cycle, as its modules with the first repeated at the end: per strongly connected
    component, the shortest cycle through each of its modules, each cycle once (rotated to start at its
    smallest module)."""
    found: list[list[str]] = []
    for component in strongly_connected(graph):
        members = set(component)
        for module in component:
            cycle = _shortest_cycle(graph, module, members)[:-1]
            first = cycle.index(min(cycle))
            rotated = [*cycle[first:], *cycle[:first]]
            rotated.append(rotated[0])
            if rotated not in found:
                found.append(rotated)
    return found


def main(argv: list[str] | None = None) -> int:
    """Print every import cycle of the package as `a -> b -> a`; 1 when there is any."""
    parser = argparse.ArgumentParser(
        prog="python -m netmob_tor.import_graph", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--package", type=Path, default=project_root() / "python" / "netmob_tor", help="package folder")
    args = parser.parse_args(argv)
    found = cycles(import_graph(args.package))
    for cycle in found:
        print("import cycle: " + " -> ".join(cycle))
    print(f"import_graph: {len(found)} import cycle{'s' if len(found) != 1 else ''}" if found else "import_graph: no import cycle")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
