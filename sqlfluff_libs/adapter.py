"""Lint-time stand-in for dbt's `adapter` (sqlfluff's jinja templater has none): dispatch picks duckdb__.

sqlfluff renders the models with the project's macros (.sqlfluff, library_path) and lints them as
DuckDB SQL, so `adapter.dispatch(name, package)` returns the macro `duckdb__<name>` (else
`default__<name>`), as dbt does on the DuckDB target. Lint only: dbt never imports this module.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    """The DuckDB implementation of a dispatched macro, as dbt resolves it on the DuckDB target."""
    for prefix in ("duckdb__", "default__"):
        found = context.get(prefix + macro_name)
        if found is not None:
            return found
    raise KeyError(f"no duckdb__{macro_name} or default__{macro_name} macro for adapter.dispatch at lint time")
