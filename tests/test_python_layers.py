"""Python reads marts only: no module of the package (bar the pipeline's own tools) names a staging or intermediate model."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from netmob_tor.paths import project_root

# bench (a package) and doctor measure and inspect the pipeline itself; swap_build runs dbt. They may name any model.
PIPELINE_TOOLS = ("bench/", "doctor.py", "swap_build.py")
MODEL_NAME = re.compile(r"\b(stg|int|base)_[a-z0-9]+__[a-z0-9_]+")


def string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module (SQL included), with its line; docstrings (bare string statements) left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_package_code_names_no_staging_or_intermediate_model() -> None:
    package = project_root() / "python" / "netmob_tor"
    hits = [f"{path.relative_to(package)}:{line}: {MODEL_NAME.search(text).group(0)}"
            for path in sorted(package.rglob("*.py")) if not path.relative_to(package).as_posix().startswith(PIPELINE_TOOLS)
            for line, text in string_constants(path) if MODEL_NAME.search(text)]
    assert not hits, hits


def test_the_check_sees_sql_in_strings(tmp_path: Path) -> None:
    """The scan finds a model named inside SQL and ignores one named in a docstring."""
    module = tmp_path / "m.py"
    module.write_text('"""Reads int_tiles__communes."""\nSQL = "select * from stg_ign__communes"\n', encoding="utf-8")
    assert [MODEL_NAME.search(text).group(0) for _, text in string_constants(module) if MODEL_NAME.search(text)] == ["stg_ign__communes"]
