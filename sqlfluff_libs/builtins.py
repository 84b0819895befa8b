"""Lint-time stand-in for dbt's `builtins` (the project's ref() override in macros/landing.sql calls builtins.ref).

Lint only: dbt never imports this module.
"""

from __future__ import annotations


class Relation(str):
    """A model name standing in for a dbt Relation: no catalog, and include() returns it unchanged."""

    database = None

    def include(self, **_: object) -> Relation:
        """As dbt's Relation.include: here a no-op."""
        return self


def ref(*names: str, **_: object) -> Relation:
    """The referenced model's name (the last positional argument), as a Relation stand-in."""
    return Relation(names[-1])
