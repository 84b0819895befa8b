"""What the user types, timed whole: `netmob-tor build` (the study profile, every model and data test) and
`make build` (every profile with its tests), each into a fresh warehouse, beside the models-only build.

Each is run twice on the same data into a fresh warehouse and landing: *cold* with an empty target folder
(dbt parses the whole project, as on a first build or after a change of vars), *warm* with the target
folder the cold run left (dbt's partial parsing, as on the next `make build`). The ten most expensive data
tests of the cold `netmob-tor build` are kept (dbt's per-node times in run_results.json).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from netmob_tor.bench.builds import dbt_env, timed_run
from netmob_tor.paths import landing_path, project_root

# The user's commands: `netmob-tor build` and `make build` (which runs `netmob-tor build --all-profiles`).
COMMANDS = {"netmob_tor_build": ["build"], "make_build": ["build", "--all-profiles"]}
SLOWEST_TESTS = 10


def fresh_warehouse(db: Path) -> None:
    """Remove the warehouse and its landing, each with its write-ahead log."""
    for stale in (db, landing_path(db)):
        for path in (stale, stale.with_name(stale.name + ".wal")):
            path.unlink(missing_ok=True)


def command_line(name: str, data_root: Path, project: Path) -> list[str]:
    """The command: `make build DATA_ROOT=…` in this working tree; the same `netmob-tor build --all-profiles` in a snapshot
    (which has no set-up of its own to make)."""
    if name == "make_build" and project == project_root() and shutil.which("make"):
        return ["make", "-s", "build", f"DATA_ROOT={data_root}"]
    cli = [sys.executable, "-c", "import sys; from netmob_tor.cli import main; sys.exit(main())"]
    return [*cli, *COMMANDS[name], "--store-failures", "--vars", json.dumps({"data_root": str(data_root)})]


def slowest_tests(target: Path, count: int = SLOWEST_TESTS) -> list[dict[str, Any]]:
    """The `count` data tests of a run's run_results.json that took longest: name and seconds."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    tests = [(r["unique_id"].split(".")[2], float(r["execution_time"])) for r in results if r["unique_id"].startswith("test.")]
    return [{"test": name, "seconds": round(seconds, 3)} for name, seconds in sorted(tests, key=lambda t: -t[1])[:count]]


def seconds_in_tests(target: Path) -> float:
    """Seconds spent in data and unit tests in a run's run_results.json."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return sum(float(r["execution_time"]) for r in results if r["unique_id"].startswith(("test.", "unit_test.")))


def user_build(name: str, data_root: Path, work: Path, threads: int, project: Path) -> dict[str, Any]:
    """One user command, cold then warm, each into a fresh warehouse: wall seconds, peak RSS, test seconds."""
    db = work / f"user_{name}.duckdb"
    target = work / f"target_{name}"
    shutil.rmtree(target, ignore_errors=True)
    env = {**dbt_env(work, threads, project, db), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(work / f"logs_{name}")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project / "python"), os.environ.get("PYTHONPATH")]))
    row: dict[str, Any] = {"command": name}
    for run in ("cold", "warm"):
        fresh_warehouse(db)
        start = time.perf_counter()
        wall, peak_mb = timed_run(command_line(name, data_root, project), project, env, work / f"rss_{name}.txt")
        row[f"{run}_wall_seconds"] = round(wall, 3)
        row[f"{run}_peak_rss_mb"] = round(peak_mb, 1)
        row[f"{run}_test_seconds"] = round(seconds_in_tests(target), 3)
        row[f"{run}_elapsed_seconds"] = round(time.perf_counter() - start, 3)
        if run == "cold":
            row["slowest_tests"] = slowest_tests(target)
    fresh_warehouse(db)
    return row


def user_builds(data_root: Path, work: Path, threads: int, project: Path) -> list[dict[str, Any]]:
    """`netmob-tor build` and `make build`, each cold and warm (see the module's docstring)."""
    return [user_build(name, data_root, work, threads, project) for name in COMMANDS]


def add_user_builds(result: dict[str, Any], data_root: Path, work: Path, threads: int, project: Path) -> None:
    """The user's commands into the scale's result, with their ratio to the notebook's pass 1 when it was run."""
    rows = user_builds(data_root, work, threads, project)
    baseline = result.get("baseline_seconds")
    for row in rows:
        for run in ("cold", "warm"):
            row[f"{run}_speedup_vs_notebook"] = round(baseline / row[f"{run}_wall_seconds"], 3) if baseline else None
    result["user_builds"] = rows


if __name__ == "__main__":  # python -m netmob_tor.bench.user_builds DATA_ROOT WORK: the rows alone, as JSON
    print(json.dumps(user_builds(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), int(os.environ.get("NETMOB_TOR_THREADS", "2")),
                                 project_root()), indent=1))
