"""Timed dbt builds of `netmob-tor bench`: each build into its own DuckDB file, its seconds per model and per stage, its peak RSS.

A run's dbt gets its own profiles (the thread count), target and log folders and temp folder under the work
directory; the project is parsed first, untimed. Also the snapshot of a git revision a run can measure,
and the machine and commit it ran on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from netmob_tor.bench.floors import MEMORY_LIMIT
from netmob_tor.paths import extension_dir, landing_path, project_root

STAGES = ("raw_read", "tile_to_commune", "commune_hour", "rho_and_summary", "other_models", "seeds_and_hooks", "dbt_overhead", "analysis")
TRAFFIC_STAGES = ("raw_read", "tile_to_commune", "commune_hour", "rho_and_summary")


def stage_of(model: str) -> str:
    """Bench stage a dbt model's time counts under (by name, so new models of the same kind fall in place)."""
    if (model.startswith(("int_commune_hours__", "int_communes__traffic_correlations", "int_communes__correction_factors"))
            or model == "commune_summary"):
        return "rho_and_summary"
    if model in ("stg_netmob__traffic", "int_traffic__tile_day_hours", "int_traffic__loaded_files"):
        return "raw_read"
    if model in ("stg_netmob__tiles", "stg_ign__communes") or model.startswith("int_tiles__"):
        return "tile_to_commune"
    if "traffic" in model or model.startswith("commune_hour"):
        return "commune_hour"
    return "other_models"


def snapshot(rev: str, work: Path) -> tuple[Path, str]:
    """The project's files at git revision `rev` (git archive) under work/, so a run measures one commit's models."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=project_root(), capture_output=True, text=True, check=True).stdout.strip()
    folder = work / f"project_{sha}"
    if not (folder / "dbt_project.yml").exists():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=project_root(), capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder, sha


def profile_dir(work: Path, threads: int, project: Path) -> Path:
    """A copy of profiles.yml with dbt's and DuckDB's thread counts set to `threads`."""
    text = (project / "profiles.yml").read_text()
    text = re.sub(r"(\n\s+)threads:\s*\d+", rf"\g<1>threads: {threads}", text, count=1)
    if "NETMOB_TOR_THREADS" not in text:
        text = re.sub(r"(\n(\s+)config_options:\n)", rf"\1\2  threads: {threads}\n", text, count=1)
    folder = work / f"profiles_t{threads}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(text)
    return folder


# Fresh first builds per thread count; the median's figures are reported.
BUILD_REPEATS = 3
# commune_summary and the kept tile-days view that passes 2 and 3 read.
FULL_SELECTOR = "+commune_summary +int_traffic__kept_tile_days"
# Adding a day changes only the traffic lineage: the raw read and what is downstream of it up to commune_summary.
NEW_DAY_SELECTOR = "int_traffic__tile_day_hours+,+commune_summary"
# Pass 2 on the warehouse: the top-tile ranking of Table 4, built after FULL_SELECTOR into the same database.
TOP_TILES_SELECTOR = "int_traffic__tile_service_means int_tiles__top_traffic"


def dbt_env(work: Path, threads: int, project: Path, db: Path) -> dict[str, str]:
    """Environment of a bench dbt run: profiles with `threads`, its database, temp folder and memory limit."""
    tmp = work / f"tmp_t{threads}"
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(profile_dir(work, threads, project)),
        "NETMOB_TOR_EXTENSION_DIR": str(extension_dir()),
        "NETMOB_TOR_DB": str(db),
        "NETMOB_TOR_TEMP_DIR": str(tmp),
        "NETMOB_TOR_MEMORY_LIMIT": MEMORY_LIMIT,
        "NETMOB_TOR_THREADS": str(threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def dbt_common_args(data_root: Path, work: Path, threads: int, variables: dict[str, Any] | None) -> list[str]:
    """--vars (data_root and `variables`), target and log paths shared by a run's parse and build."""
    return ["--vars", json.dumps({"data_root": str(data_root), **(variables or {})}),
            "--target-path", str(work / f"target_t{threads}"), "--log-path", str(work / f"logs_t{threads}")]


def timed_run(cmd: list[str], project: Path, env: dict[str, str], rss_file: Path) -> tuple[float, float]:
    """Run a dbt command; (wall seconds, peak RSS in MB of the process, from /usr/bin/time when present)."""
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)] if Path("/usr/bin/time").exists() else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(timer + cmd, cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    if timer:
        peak_kb = int(rss_file.read_text().split()[-1])
    else:  # the largest child so far: an upper bound when earlier children were larger
        peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return wall, peak_kb / 1024


def node_seconds(target: Path) -> tuple[dict[str, float], float]:
    """From the run's run_results.json: seconds per model, and the seconds of every other node (seeds, hooks)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {r["unique_id"].split(".")[-1]: float(r["execution_time"]) for r in results if r["unique_id"].startswith("model.")}
    others = sum(float(r["execution_time"]) for r in results if not r["unique_id"].startswith("model."))
    return models, others


def dbt_build(data_root: Path, db: Path, work: Path, threads: int, project: Path, fresh: bool = True,
              selector: str = FULL_SELECTOR, variables: dict[str, Any] | None = None, named_selector: str | None = None) -> dict[str, Any]:
    """Build `selector` (seeds and models, no tests) into `db` (a fresh file unless fresh=False, i.e. an
    incremental run), with `variables` as extra dbt vars; wall seconds, per-node seconds, peak RSS. The
    project is parsed first, untimed, so the timed run measures the build and dbt's start-up, not a cold parse."""
    if fresh:  # the warehouse and its landing, each with its write-ahead log
        for stale in (db, landing_path(db)):
            for path in (stale, stale.with_name(stale.name + ".wal")):
                path.unlink(missing_ok=True)
    env = dbt_env(work, threads, project, db)
    common = dbt_common_args(data_root, work, threads, variables)
    dbt = Path(sys.executable).parent / "dbt"
    start = time.perf_counter()
    parsed = subprocess.run([str(dbt), "parse", *common], cwd=project, env=env, capture_output=True, text=True)
    parse_seconds = time.perf_counter() - start
    if parsed.returncode != 0:
        raise RuntimeError(f"dbt parse failed ({parsed.returncode}):\n{parsed.stdout[-4000:]}")
    chosen = ["--selector", named_selector] if named_selector else ["--select", selector]
    cmd = [str(dbt), "build", *chosen, "--exclude-resource-type", "test", "unit_test", *common]
    wall, peak_mb = timed_run(cmd, project, env, work / f"rss_t{threads}.txt")
    models, others = node_seconds(work / f"target_t{threads}")
    return {"wall_seconds": wall, "model_seconds": models, "seed_and_hook_seconds": others,
            "peak_rss_mb": peak_mb, "parse_seconds": parse_seconds}


def stage_seconds(build: dict[str, Any]) -> dict[str, float]:
    """Model times summed per stage; seeds and hooks apart; `dbt_overhead` is the wall time not spent in any node."""
    stages = {s: 0.0 for s in ("raw_read", "tile_to_commune", "commune_hour", "rho_and_summary", "other_models")}
    for model, seconds in build["model_seconds"].items():
        stages[stage_of(model)] += seconds
    stages["seeds_and_hooks"] = build["seed_and_hook_seconds"]
    stages["dbt_overhead"] = max(build["wall_seconds"] - sum(stages.values()), 0.0)
    return stages



def machine(rev: str | None = None) -> dict[str, Any]:
    """Cores, memory, versions and the git commit the run measured (`rev`: a snapshot's, else HEAD of the tree)."""
    from importlib.metadata import version

    mem_kb = (next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
              if Path("/proc/meminfo").exists() else 0)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", rev or "HEAD"], cwd=project_root(), capture_output=True, text=True).stdout.strip()
        dirty = rev is None and bool(subprocess.run(["git", "status", "--porcelain", "--", "models", "macros"], cwd=project_root(),
                                                    capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "unknown", False
    versions = {}
    for pkg in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "numpy"):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = "?"
    return {
        "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024**2, 1), "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(), "versions": versions, "git_commit": commit, "models_uncommitted_changes": dirty,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
