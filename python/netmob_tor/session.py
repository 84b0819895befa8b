"""In-process dbt session for re-analyses: the project is parsed once and kept in memory.

On the command line every `dbt build` pays dbt's start-up (import, profile, adapter) and, after any
change of `--vars`, a full re-parse of the project: seconds, more than the models a re-analysis
rebuilds. A Session parses once and rebuilds with dbt's programmatic runner on the parsed
manifest; the warehouse connection stays open between builds (close() or a `with` block ends
it). Only the vars listed in dbt_project.yml's `reanalysis_vars` may change within a session:
they enter the compiled SQL only, never a ref, a source or a config, so the parsed graph holds
for every value (tests/test_session.py checks that, and that a session build equals a fresh one).
A change of any other var parses the project again, in process, and says so in the result.

    from netmob_tor.session import Session
    with Session({"data_root": "data/embedded"}) as session:
        session.build(["int_communes__correction_factors+,+commune_summary"], {"s_onion": 0.078})
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netmob_tor.params import project_vars
from netmob_tor.paths import project_root

# Options of every session run: no JSON artefacts (manifest.json alone is megabytes) and no warm-up
# listing of the warehouse's relations; results come back as Python objects.
RUN_OPTIONS = ("--no-write-json", "--no-populate-cache", "--quiet")


@dataclass
class Rebuild:
    """What one session build did: success, wall seconds, per-node seconds, and whether it re-parsed."""

    success: bool
    wall_seconds: float
    node_seconds: dict[str, float] = field(default_factory=dict)
    reparsed: bool = False
    error: str | None = None


def reanalysis_vars(project_dir: Path | None = None) -> frozenset[str]:
    """The vars a session may change without parsing again (dbt_project.yml's `reanalysis_vars`)."""
    return frozenset(project_vars((project_dir or project_root()) / "dbt_project.yml").get("reanalysis_vars") or ())


class Session:
    """A dbt project parsed once with `variables`, for repeated builds that change only re-analysis vars."""

    def __init__(self, variables: dict[str, Any] | None = None, project_dir: Path | None = None,
                 dbt_args: Sequence[str] = ()) -> None:
        from dbt.cli.main import dbtRunner

        self._runner_class = dbtRunner
        self.project_dir = Path(project_dir or project_root())
        self.dbt_args = ["--project-dir", str(self.project_dir), *dbt_args]
        self.free_vars = reanalysis_vars(self.project_dir)
        self.variables: dict[str, Any] = dict(variables or {})  # what every build starts from
        self.parsed_vars: dict[str, Any] = {}  # what the kept manifest was parsed with
        self.manifest = None
        self._parse(self.variables)

    def _parse(self, variables: dict[str, Any]) -> None:
        """Parse the project with `variables` and keep the manifest."""
        result = self._runner_class().invoke(["parse", "--vars", json.dumps(variables), *self.dbt_args, "--quiet"])
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        self.manifest, self.parsed_vars = result.result, dict(variables)

    def needs_parse(self, variables: dict[str, Any]) -> list[str]:
        """The vars of `variables` that differ from the parsed ones and may shape the graph."""
        names = set(self.parsed_vars) | set(variables)
        return sorted(n for n in names if self.parsed_vars.get(n) != variables.get(n) and n not in self.free_vars)

    def build(self, select: Sequence[str], changes: dict[str, Any] | None = None, tests: bool = False) -> Rebuild:
        """`dbt build --select select` with the session's vars overlaid by `changes` (each build starts from the
        session's vars, not the previous build's); models and seeds only unless `tests`."""
        variables = {**self.variables, **(changes or {})}
        start = time.perf_counter()
        stale = self.needs_parse(variables)
        if stale:
            self._parse(variables)
        args = ["build", "--select", *select, "--vars", json.dumps(variables), *self.dbt_args, *RUN_OPTIONS]
        if not tests:
            args += ["--exclude-resource-type", "test", "unit_test"]
        result = self._runner_class(manifest=self.manifest).invoke(args)
        wall = time.perf_counter() - start
        runs = result.result.results if result.result else []
        nodes = {r.node.name: float(r.execution_time) for r in runs}
        failed = [r.node.name for r in runs if str(r.status) in ("error", "fail")]
        error = str(result.exception) if result.exception else (f"failed: {', '.join(failed)}" if failed else None)
        return Rebuild(success=bool(result.success), wall_seconds=wall, node_seconds=nodes, reparsed=bool(stale), error=error)

    def close(self) -> None:
        """Close the warehouse connection the session's builds keep open (dbt-duckdb keeps one per process)."""
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m netmob_tor.session VARS CHANGES [dbt args]`: one session, then each change built in turn.

    VARS is the session's vars as JSON; CHANGES a JSON list of {"label", "select", "vars"}. Prints a JSON
    list of {label, wall_seconds, node_seconds, reparsed, success, error}, after {"parse_seconds"} (the
    bench's warm re-analysis, run in its own process for the bench's environment).
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    variables, changes, dbt_args = json.loads(args[0]), json.loads(args[1]), args[2:]
    project = None
    if "--project-dir" in dbt_args:
        i = dbt_args.index("--project-dir")
        project, dbt_args = Path(dbt_args[i + 1]), dbt_args[:i] + dbt_args[i + 2:]
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with Session(variables, project_dir=project, dbt_args=dbt_args) as session:
        rows.append({"parse_seconds": round(time.perf_counter() - start, 3)})
        for change in changes:
            done = session.build(change["select"], change.get("vars") or {})
            rows.append({"label": change["label"], "wall_seconds": round(done.wall_seconds, 3), "node_seconds": done.node_seconds,
                         "reparsed": done.reparsed, "success": done.success, "error": done.error})
    print(json.dumps(rows))
    return 0 if all(r.get("success", True) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
