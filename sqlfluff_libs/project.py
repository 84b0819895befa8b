"""Lint-time stand-in: dbt_project.yml's vars (the one home of the parameters), for the var() stub of .sqlfluff.

sqlfluff renders the models without dbt; the var() stub returns a var's value from here when .sqlfluff's
dbt_vars does not shape it, so that macros reading a var's structure (var_rules) render as dbt renders them.
Lint only: dbt never imports this module.
"""

from __future__ import annotations

from pathlib import Path

import yaml

vars = yaml.safe_load((Path(__file__).resolve().parents[1] / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]  # noqa: A001
