"""Lint-time stand-in for dbt's `dbt` namespace of cross-database macros (dbt.type_string()).

Lint only: dbt never imports this module. The types are DuckDB's, the target linted.
"""

from __future__ import annotations


def type_string() -> str:
    """As dbt.type_string() on DuckDB."""
    return "varchar"
