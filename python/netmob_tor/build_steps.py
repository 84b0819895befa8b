"""The dbt steps of one `netmob-tor build`, run in one process: dbt is imported and started once.

`netmob-tor build --all-profiles` runs the study build, then one build per processing profile. As separate
`dbt build` commands each paid dbt's start-up (imports, adapter, profile) again; here dbt's programmatic
runner runs them one after the other in this process (the child of netmob_tor.swap_build, which holds
the lock and swaps the warehouse in). Each step keeps its own target path (the first the project's, a
profile step `<target>/profile_<schema>`), so the next build with the same vars reuses each step's
parse (dbt's partial parsing) instead of parsing the whole project again. Exploratory area-level data: no
individual or causal meaning.

    python -m netmob_tor.build_steps '[["--vars", "{...}"], ["--selector", "...", "--vars", "{...}"]]'
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from netmob_tor.params import parse_vars_option, project_config
from netmob_tor.paths import project_root


def step_target_path(args: Sequence[str], first: bool) -> list[str]:
    """`args` with a target path of the step's own: the project's for the first step, `<target>/profile_<schema>`
    for a profile step, unless the user gave one."""
    if "--target-path" in args or first:
        return list(args)
    schema = parse_vars_option(list(args)).get("profile_schema") or "profile"
    base = Path(target_base())
    if not base.is_absolute():
        base = project_root() / base
    return [*args, "--target-path", str(base / f"profile_{schema}")]


def target_base() -> str:
    """The target path dbt uses: DBT_TARGET_PATH when set, else dbt_project.yml's `target-path`."""
    return os.environ.get("DBT_TARGET_PATH") or str(project_config().get("target-path") or "target")


def run_steps(steps: Sequence[Sequence[str]]) -> int:
    """`dbt build` of each argument list in turn in this process; the exit code of the first that fails, else 0."""
    from dbt.cli.main import dbtRunner

    for i, args in enumerate(steps):
        if len(steps) > 1:
            print(f"netmob-tor build: step {i + 1} of {len(steps)}: dbt build {' '.join(args)}", flush=True)
        args = step_target_path(args, first=i == 0)
        result = dbtRunner().invoke(["build", "--project-dir", str(project_root()), *args])
        if result.exception is not None:
            print(f"netmob-tor build: dbt stopped: {result.exception}", file=sys.stderr, flush=True)
            return 2
        if not result.success:
            return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: one JSON argument, the list of `dbt build` argument lists."""
    args = list(sys.argv[1:] if argv is None else argv)
    return run_steps(json.loads(args[0]))


if __name__ == "__main__":
    raise SystemExit(main())
