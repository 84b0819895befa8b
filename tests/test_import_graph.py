"""The import-cycle check (netmob_tor.import_graph) on hand-made module sets and small packages written to disk."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from netmob_tor import import_graph as ig

KNOWN = {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c", "pkg.sub.d"}


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("import pkg.a\nimport os\n", "pkg.b", False, {"pkg.a"}),
        ("import pkg.sub.c as c\n", "pkg.b", False, {"pkg.sub.c"}),
        ("from pkg import a, CONSTANT\n", "pkg.b", False, {"pkg.a", "pkg"}),  # a module, and a name of pkg/__init__
        ("from pkg.sub.c import helper\n", "pkg.a", False, {"pkg.sub.c"}),
        ("from . import a\n", "pkg.b", False, {"pkg.a"}),
        ("from .sub import d\n", "pkg.b", False, {"pkg.sub.d"}),
        ("from .d import x\n", "pkg.sub.c", False, {"pkg.sub.d"}),
        ("from .. import a\n", "pkg.sub.c", False, {"pkg.a"}),
        ("from ..b import y\n", "pkg.sub.c", False, {"pkg.b"}),
        ("from . import c\n", "pkg.sub", True, {"pkg.sub.c"}),  # in a package's __init__, `.` is the package
        ("def f():\n    from pkg.a import g\n    return g\n", "pkg.b", False, {"pkg.a"}),  # a deferred import counts
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import T\nelse:\n    import pkg.sub.d\n",
         "pkg.b", False, {"pkg.sub.d"}),  # never run: not an edge
        ("import typing\nif typing.TYPE_CHECKING:\n    import pkg.a\n", "pkg.b", False, set()),
        ("from pkg.b import x\nimport pandas\nfrom collections import Counter\n", "pkg.b", False, set()),  # itself, outside
    ],
)
def test_imports_resolve_to_the_package_modules(source, module, is_package, expected):
    assert ig.imports_of(source, module, KNOWN, is_package) == expected


def test_module_names_follow_the_files(tmp_path: Path):
    package = tmp_path / "pkg"
    for relative in ("__init__.py", "a.py", "sub/__init__.py", "sub/c.py"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text("", encoding="utf-8")
    assert sorted(ig.module_names(package)) == ["pkg", "pkg.a", "pkg.sub", "pkg.sub.c"]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
        ({"x": {"y"}, "y": {"z"}, "z": {"x"}}, [["x", "y", "z", "x"]]),
        ({"b": {"a"}, "a": {"b"}, "c": {"d"}, "d": {"c"}, "e": {"a", "c"}}, [["a", "b", "a"], ["c", "d", "c"]]),
        # one strongly connected component holding two cycles through `a`: both are printed
        ({"a": {"b", "c"}, "b": {"a"}, "c": {"a"}}, [["a", "b", "a"], ["a", "c", "a"]]),
        ({"a": {"a"}}, []),  # a module importing itself is not an edge (imports_of drops it)
    ],
)
def test_cycles_are_found_and_written_from_their_smallest_module(graph, expected):
    assert ig.cycles(graph) == expected


def reach(graph: dict[str, set[str]], start: str) -> set[str]:
    """Modules reachable from `start` by one import or more (the oracle: plain depth-first search)."""
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


@pytest.mark.parametrize("seed", range(30))
def test_components_match_mutual_reachability(seed: int):
    rng = random.Random(seed)
    names = [f"m{i:02d}" for i in range(rng.randint(2, 12))]
    graph = {n: {m for m in names if m != n and rng.random() < 0.2} for n in names}
    reachable = {n: reach(graph, n) for n in names}
    expected = set()
    for n in names:
        together = frozenset({n} | {m for m in reachable[n] if n in reachable[m]})
        if len(together) > 1:
            expected.add(together)
    assert {frozenset(c) for c in ig.strongly_connected(graph)} == expected
    for cycle in ig.cycles(graph):  # each printed cycle is a real one: every step an import
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for relative, text in {"__init__.py": "", **files}.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(text, encoding="utf-8")
    return package


def test_main_prints_each_cycle_and_exits_1(tmp_path: Path, capsys):
    # the shape of bench.py and bench_spark.py: a module-level import one way, a deferred one back
    package = write_package(tmp_path, {
        "bench.py": "from pkg.duck import connect\n\ndef main():\n    from pkg.bench_spark import spark\n    return spark()\n",
        "bench_spark.py": "from pkg.bench import timed_run\n",
        "duck.py": "import duckdb\n",
    })
    assert ig.main(["--package", str(package)]) == 1
    out = capsys.readouterr().out
    assert "import cycle: pkg.bench -> pkg.bench_spark -> pkg.bench\n" in out
    assert "import_graph: 1 import cycle" in out


def test_main_exits_0_without_a_cycle(tmp_path: Path, capsys):
    package = write_package(tmp_path, {
        "bench/__init__.py": "",
        "bench/core.py": "from pkg.duck import connect\n",
        "bench/spark.py": "from pkg.bench.core import connect\n",
        "duck.py": "",
    })
    assert ig.main(["--package", str(package)]) == 0
    assert "import_graph: no import cycle" in capsys.readouterr().out
