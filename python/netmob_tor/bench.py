"""`netmob-tor bench`: time the warehouse build against the raw scan floor and the notebook-style baseline.

For each scale: generate synthetic raw files (cached by their generation arguments), measure the
floor (DuckDB `count(*)` over `read_csv` of the same files, same column spec as the source), build
`+commune_summary` with dbt into a fresh DuckDB file per thread count, time each stage from dbt's
run_results.json, run the analysis, then the pandas baseline of benchmarks/notebook_baseline.py
(three passes), checking its commune rho equals the warehouse's. Timings only: the data are
synthetic, and any figure they yield is an exploratory area-level association.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd

from netmob_tor import CAUTION, loaders
from netmob_tor.analysis.run import table1_table2
from netmob_tor.duck import attach_landing, connect
from netmob_tor.errors import UserError
from netmob_tor.params import defaults
from netmob_tor.paths import extension_dir, landing_path, project_root

STUDY = defaults()  # the bench generates and builds the study's default period, services and direction
SERVICES = STUDY.services
STAGES = ("raw_read", "tile_to_commune", "commune_hour", "rho_and_summary", "other_models", "seeds_and_hooks", "dbt_overhead", "analysis")
TRAFFIC_STAGES = ("raw_read", "tile_to_commune", "commune_hour", "rho_and_summary")
RHO_TOLERANCE = 1e-9
MEMORY_LIMIT = "4GB"
REQUIRED_KEYS = (
    "scale", "raw_bytes", "raw_values", "stage_seconds", "end_to_end_seconds",
    "floor_seconds", "baseline_seconds", "peak_rss_mb",
)


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


def traffic_globs(data_root: Path, services: tuple[str, ...] = SERVICES, direction: str = STUDY.direction) -> list[str]:
    """The file patterns the netmob traffic source reads."""
    return [f"{data_root}/*/{s}/*/*_{s}_*_{direction}.txt" for s in services]


def read_csv_sql(globs: list[str], value_type: str = "DOUBLE") -> str:
    """read_csv with the column spec of stg_netmob__traffic, values as `value_type` (the build's parse type)."""
    columns = ", ".join(["'tile_id': 'BIGINT'"] + [f"'v{i:02d}': '{value_type}'" for i in range(1, 97)])
    files = ", ".join(f"'{g}'" for g in globs)
    return (
        f"read_csv([{files}], delim=' ', header=false, auto_detect=false, null_padding=true, "
        f"filename=true, parallel=true, columns={{{columns}}})"
    )


def raw_files(data_root: Path) -> list[Path]:
    """Every traffic file the source reads."""
    return sorted(p for s in SERVICES for p in data_root.glob(f"*/{s}/*/*_{s}_*_{STUDY.direction}.txt"))


def scan_floor(data_root: Path, threads: int, value_type: str = "DOUBLE") -> dict[str, float]:
    """The floors, each a plain DuckDB scan of the raw files: `seconds`, count(*) (converts no value); `parse_seconds`,
    the sum of all 96 values in the build's parse type `value_type` (every value converted: the least any pipeline
    that uses the values pays); `parse_seconds_double`, the same as DOUBLE (the floor of earlier runs)."""
    con = duckdb.connect(config={"threads": threads, "memory_limit": MEMORY_LIMIT})
    all_values = " + ".join(f"coalesce(sum(v{i:02d}), 0)" for i in range(1, 97))
    timings = {}
    for key, sql in (("seconds", f"select count(*) from {read_csv_sql(traffic_globs(data_root))}"),
                     ("parse_seconds", f"select {all_values} from {read_csv_sql(traffic_globs(data_root), value_type)}"),
                     ("parse_seconds_double", f"select {all_values} from {read_csv_sql(traffic_globs(data_root))}")):
        start = time.perf_counter()
        value = con.execute(sql).fetchone()[0]
        timings[key] = time.perf_counter() - start
        if key == "seconds":
            timings["rows"] = int(value)
        elif key == "parse_seconds":
            timings["value_total"] = float(value)
    con.close()
    return timings


def reader_anchors(data_root: Path, threads: int) -> dict[str, Any]:
    """polars and pyarrow summing the same files (netmob_tor.bench_anchors, in a subprocess for polars' thread count)."""
    env = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, "-m", "netmob_tor.bench_anchors", str(threads), str(data_root), *SERVICES],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr[-500:]}
    return json.loads(proc.stdout)


def generated_data(work: Path, cities: list[str], days: str | None, scale: str, seed: int) -> tuple[Path, float]:
    """Generate (or reuse, when the same arguments already produced it) a dataset; return its folder and generation seconds."""
    from netmob_tor.synth.generate import generate

    key = f"{'-'.join(sorted(cities))}_s{scale}_{(days or 'all').replace(':', '-')}_seed{seed}"
    out = work / "data" / key
    if (out / ".complete").exists():
        return out, 0.0
    start = time.perf_counter()
    generate(out, seed=seed, cities=cities, days=days, scale=scale)
    return out, time.perf_counter() - start


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


def incremental_build(data_root: Path, work: Path, threads: int, project: Path, scale: str) -> dict[str, Any]:
    """Build with the last day's files held out, put them back, build the traffic lineage again
    (NEW_DAY_SELECTOR): the second build's wall seconds are what adding one day costs (the incremental
    models read only the new day's files and sum only its rows). Timed twice from the same warehouse: as a
    command-line `dbt build`, and in a session already parsed (netmob_tor.session) on a copy of it."""
    last = max(p.parent.name for p in raw_files(data_root))
    from netmob_tor.synth.generate import is_generated

    if not is_generated(data_root):  # a user's folder is only read: its day folders are never moved
        raise UserError(f"bench moves a day's folders out and back: {data_root} is not a folder `netmob-tor generate` wrote")
    hold = work / "held_out_day"
    moved: list[tuple[Path, Path]] = []
    db = work / f"bench_s{scale}_t{threads}_incremental.duckdb"
    session_db = db.with_name(db.stem + "_session.duckdb")
    try:
        for folder in sorted(data_root.glob(f"*/*/{last}")):
            parked = hold / folder.relative_to(data_root)
            parked.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(parked)
            moved.append((parked, folder))
        first = dbt_build(data_root, db, work, threads, project)
    finally:
        for parked, folder in moved:
            parked.rename(folder)
    shutil.copyfile(db, session_db)
    shutil.copyfile(landing_path(db), landing_path(session_db))
    added = dbt_build(data_root, db, work, threads, project, fresh=False, selector=NEW_DAY_SELECTOR)
    [warm] = session_builds(data_root, session_db, work, threads, project, None,
                            [{"label": "one new day", "select": [NEW_DAY_SELECTOR], "vars": {}}])
    session_db.unlink()
    landing_path(session_db).unlink()
    return {
        "held_out_day": last,
        "selector": NEW_DAY_SELECTOR,
        "build_without_day_seconds": round(first["wall_seconds"], 3),
        "incremental_seconds": round(added["wall_seconds"], 3),
        "incremental_stage_seconds": {k: round(v, 4) for k, v in stage_seconds(added).items()},
        "incremental_model_seconds": round(sum(added["model_seconds"].values()), 3),
        "incremental_model_seconds_by_model": {k: round(v, 4) for k, v in sorted(added["model_seconds"].items())},
        "incremental_peak_rss_mb": round(added["peak_rss_mb"], 1),
        "incremental_session_seconds": round(warm["wall_seconds"], 3),
        "incremental_session_model_seconds": round(sum(warm["node_seconds"].values()), 3),
    }


def run_analysis(db: Path) -> tuple[float, str | None]:
    """Seconds of Tables 1 and 2 (netmob_tor.analysis.run.table1_table2) on the built warehouse, and its error if it could not run."""
    con = connect(db, read_only=True)
    start = time.perf_counter()
    try:
        table1_table2(loaders.commune_summary(con))
        error = None
    except Exception as exc:  # one city may be too few communes for some tests; the timing still counts
        error = f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - start
    con.close()
    return seconds, error


def load_baseline() -> ModuleType:
    """benchmarks/notebook_baseline.py (outside the package on purpose)."""
    path = project_root() / "benchmarks" / "notebook_baseline.py"
    spec = importlib.util.spec_from_file_location("notebook_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KEPT_DAYS_SQL = """
tile_days as (select * from int_traffic__kept_tile_days)
"""


def warehouse_top_tiles(con: Any) -> pd.DataFrame:
    """Pass 2 on the warehouse: the model's top tiles (int_tiles__top_traffic: per service, the top_tile_share of
    all (tile, service) pairs by mean daily download over kept days x c), as city, service, tile_id, commune_code, score."""
    return con.execute(
        "select city, service, tile_id, commune_code, scaled_mean_daily_dl as score "
        "from int_tiles__top_traffic order by service, tile_rank"
    ).df()


SERIES_FINGERPRINT_SQL = "select count(*) as n_rows, sum(dl) as dl_sum, sum(dl * hour) as dl_hour_sum from {relation}"


def warehouse_top_commune_series(con: Any, top: list[str]) -> pd.DataFrame:
    """Pass 3 on the warehouse: hourly series of each tile of the top communes (Tor x c), kept days.

    The series is materialised as a temporary table, the warehouse's natural product (the baseline's
    is a DataFrame); only its fingerprint (rows, sum of dl, sum of dl x hour) is fetched for the check.
    """
    hours = ", ".join(f"h{h:02d}" for h in range(24))
    con.execute(
        f"""
        create or replace temp table top_commune_series as
        with {KEPT_DAYS_SQL},
        top_tiles as (
            select x.city, x.tile_id, x.commune_code, s.c
            from int_tiles__communes as x
            join commune_summary as s on s.commune_code = x.commune_code
            where x.commune_code in (select unnest($top))
        ),
        long as (
            unpivot (select t.city, t.tile_id, t.service, t.traffic_date, {hours} from tile_days as t semi join top_tiles using (city, tile_id))
            on {hours} into name hour_label value dl
        )
        select top_tiles.commune_code, long.tile_id, long.service, long.traffic_date,
               substr(hour_label, 2)::integer as hour,
               long.dl * case when long.service = 'Tor' then top_tiles.c else 1 end as dl
        from long join top_tiles using (city, tile_id)
        """,
        {"top": top},
    )
    return con.execute(SERIES_FINGERPRINT_SQL.format(relation="temp.top_commune_series")).df()


def series_fingerprint(series: pd.DataFrame) -> pd.DataFrame:
    """The baseline series' fingerprint, computed as SERIES_FINGERPRINT_SQL does on the warehouse's."""
    return duckdb.query_df(series, "series", SERIES_FINGERPRINT_SQL.format(relation="series")).df()


def warehouse_passes(db: Path, threads: int, top_tile_model_seconds: float) -> dict[str, Any]:
    """Passes 2 and 3 on the built warehouse, timed; with the top communes by cpc. Pass 2's seconds are the
    top-tile models' dbt times (TOP_TILES_SELECTOR) plus reading their result."""
    con = connect(db, read_only=True, threads=threads)
    attach_landing(con, db)  # the kept tile-days view reads the landing
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    top = con.execute(
        "select commune_code from commune_summary order by cpc_per_1000 desc nulls last, commune_code limit 10"
    ).fetchall()
    top = [t[0] for t in top]
    start = time.perf_counter()
    tiles = warehouse_top_tiles(con)
    t_tiles = top_tile_model_seconds + time.perf_counter() - start
    start = time.perf_counter()
    series = warehouse_top_commune_series(con, top)
    t_series = time.perf_counter() - start
    con.close()
    return {"top_tiles": tiles, "series": series, "top_communes": top, "seconds": {"top_tiles": t_tiles, "top_commune_series": t_series}}


def compare_with_baseline(db: Path, base: dict[str, Any], wh: dict[str, Any]) -> dict[str, Any]:
    """Check the baseline reproduces the warehouse: commune rho to 1e-9, the top-tile scores and the tile series."""
    con = connect(db, read_only=True)
    rho = con.execute("select commune_code, rho from commune_summary where rho is not null").df().set_index("commune_code")["rho"]
    con.close()
    mine = base["rho"].dropna()
    if set(mine.index) != set(rho.index):
        raise AssertionError(f"baseline and warehouse differ in communes with a rho ({len(mine)} vs {len(rho)})")
    gap = float((mine - rho.reindex(mine.index)).abs().max())
    if not gap <= RHO_TOLERANCE:
        raise AssertionError(f"baseline rho differs from the warehouse's by {gap:.3g} (> {RHO_TOLERANCE})")
    b_scores = base["top_tiles"]["score"].sort_values(ascending=False).to_numpy()
    w_scores = wh["top_tiles"]["score"].sort_values(ascending=False).to_numpy()
    tiles_match = len(b_scores) == len(w_scores) and bool(
        abs(b_scores - w_scores).max(initial=0.0) <= 1e-9 * max(abs(b_scores).max(initial=1.0), 1.0))
    b_series, w_series = series_fingerprint(base["series"]).iloc[0], wh["series"].iloc[0]
    series_match = (
        base["top_communes"] == wh["top_communes"]
        and int(b_series["n_rows"]) == int(w_series["n_rows"])
        and math.isclose(float(b_series["dl_sum"]), float(w_series["dl_sum"]), rel_tol=1e-9)
        and math.isclose(float(b_series["dl_hour_sum"]), float(w_series["dl_hour_sum"]), rel_tol=1e-9)
    )
    if not (tiles_match and series_match):
        raise AssertionError(f"baseline passes 2-3 differ from the warehouse's (top tiles match: {tiles_match}, series match: {series_match})")
    return {"n_communes": int(len(rho)), "max_abs_rho_gap": gap, "n_top_tiles": int(len(w_scores)),
            "top_tiles_match": tiles_match, "series_match": series_match}


def run_baseline(data_root: Path, db: Path, project: Path, top_tile_share: float) -> dict[str, Any]:
    """The three-pass notebook workflow, with the crosswalk, c and cpc read from the built warehouse."""
    nb = load_baseline()
    con = connect(db, read_only=True)
    crosswalk = con.execute("select city, tile_id, commune_code from int_tiles__communes where commune_code is not null").df()
    summary = con.execute("select commune_code, c, cpc_per_1000 from commune_summary").df()
    con.close()
    anomalies = nb.load_anomaly_days(project / "seeds" / "anomaly_days.csv")
    return nb.run_workflow(data_root, crosswalk, summary, anomalies, top_tile_share=top_tile_share)


def measure_threads(data_root: Path, threads: int, work: Path, project: Path, scale: str, variables: dict[str, Any]) -> dict[str, Any]:
    """One thread count: the scan floors, the build (timed by stage), the analysis, and the warehouse's passes 2 and 3."""
    db = work / f"bench_s{scale}_t{threads}.duckdb"
    # the machine's speed drifts by a few seconds between identical builds: the first build is run BUILD_REPEATS
    # times, each into a fresh file (the last one is the warehouse the later passes read), and the run of median wall
    # time is the one reported (all walls are kept)
    builds = sorted((dbt_build(data_root, db, work, threads, project, variables=variables) for _ in range(BUILD_REPEATS)),
                    key=lambda b: b["wall_seconds"])
    build = {**builds[len(builds) // 2], "wall_seconds_runs": [round(b["wall_seconds"], 3) for b in builds]}
    floor = scan_floor(data_root, threads, parse_type(db))
    floor["anchors"] = reader_anchors(data_root, threads)
    stages = stage_seconds(build)
    stages["analysis"], analysis_error = run_analysis(db)
    top_tiles = dbt_build(data_root, db, work, threads, project, fresh=False, selector=TOP_TILES_SELECTOR, variables=variables)
    wh = warehouse_passes(db, threads, sum(top_tiles["model_seconds"].values()))
    return {"threads": threads, "floor": floor, "db": db, "build": build, "stages": stages,
            "analysis_error": analysis_error, "warehouse_passes": wh}


def parse_type(db: Path) -> str:
    """The type the build parsed the traffic values as (var traffic_value_type, resolved): BIGINT for whole volumes
    (landed as INTEGER or BIGINT), else DOUBLE, read from the landing's hour columns."""
    con = connect(landing_path(db), read_only=True)
    try:
        landed = con.execute("select data_type from information_schema.columns "
                             "where table_name = 'int_traffic__tile_day_hours' and column_name = 'h00'").fetchone()[0]
    finally:
        con.close()
    return "DOUBLE" if landed == "DOUBLE" else "BIGINT"


# Re-analysis: what each change rebuilds (from the tile-day and commune-day tables, never the text), as dbt
# selections, with the vars of the change. The notebook re-runs its pass 1 (it re-reads every file) for each.
# Each selection is the selector processing_profile_dependent's members (selectors.yml), or the changed model,
# with their children up to commune_summary (the marts the bench builds).
PROFILE_DEPENDENT = " ".join(f"{m}+,+commune_summary" for m in ("int_traffic__kept_tile_days", "int_traffic__commune_hours",
                                                                  "int_communes__controls"))
REANALYSES = (
    ("processing profile (corrected)", {"selector": PROFILE_DEPENDENT}, {"processing_profile": "corrected"}),
    ("Tor lag 3 hours", {"selector": PROFILE_DEPENDENT}, {"tor_lag_hours": 3}),
    ("population (the commune file's)", {"selector": PROFILE_DEPENDENT}, {"population_source": "communes"}),
    ("s_onion 0.078", {"selector": "int_communes__correction_factors+,+commune_summary"}, {"s_onion": 0.078}),
    ("commune polygons (new tile -> commune crosswalk)", {"selector": "int_tiles__communes+,+commune_summary"}, {}),
)
TEXT_MODELS = ("stg_netmob__traffic", "int_traffic__tile_day_hours")


def reanalysis(data_root: Path, db: Path, work: Path, threads: int, project: Path, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Wall seconds of rebuilding the affected models after each change of REANALYSES, into the built warehouse
    (dbt start-up and its full re-parse after a change of vars included); checks no text model ran."""
    rows = []
    for label, selection, change in REANALYSES:
        run = dbt_build(data_root, db, work, threads, project, fresh=False, variables={**variables, **change}, **selection)
        read_text = sorted(set(run["model_seconds"]) & set(TEXT_MODELS))
        if read_text:
            raise AssertionError(f"re-analysis '{label}' re-read the raw text ({read_text})")
        rows.append({"change": label, "vars": change, "selection": next(iter(selection.values())),
                     "wall_seconds": round(run["wall_seconds"], 3), "n_models": len(run["model_seconds"]),
                     "model_seconds": round(sum(run["model_seconds"].values()), 3),
                     "parse_seconds": round(run["parse_seconds"], 3)})
    warm = session_reanalysis(data_root, db, work, threads, project, variables)
    for row in rows:
        row.update(warm[row["change"]])
    dbt_build(data_root, db, work, threads, project, fresh=False, variables=variables)  # back to the study's marts
    return rows


def session_builds(data_root: Path, db: Path, work: Path, threads: int, project: Path,
                   variables: dict[str, Any] | None, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each change ({label, select, vars}) built in turn in one in-process dbt session (netmob_tor.session) on `db`:
    the project parsed once, untimed, then each build timed alone (no start-up, no re-parse)."""
    common = dbt_common_args(data_root, work, threads, variables)
    base = json.loads(common[1])
    cmd = [sys.executable, "-m", "netmob_tor.session", json.dumps(base), json.dumps(changes), "--project-dir", str(project),
           *common[2:]]
    proc = subprocess.run(cmd, cwd=project, env=dbt_env(work, threads, project, db), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"session build failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])[1:]


def session_reanalysis(data_root: Path, db: Path, work: Path, threads: int, project: Path,
                       variables: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The re-analysis changes in one session (session_builds); checks no text model ran and nothing re-parsed."""
    changes = [{"label": label, "select": next(iter(selection.values())).split(), "vars": change}
               for label, selection, change in REANALYSES]
    out = {}
    for row in session_builds(data_root, db, work, threads, project, variables, changes):
        read_text = sorted(set(row["node_seconds"]) & set(TEXT_MODELS))
        if read_text or row["reparsed"]:
            raise AssertionError(f"session re-analysis '{row['label']}' re-read the text ({read_text}) or re-parsed")
        out[row["label"]] = {"session_wall_seconds": row["wall_seconds"],
                             "session_model_seconds": round(sum(row["node_seconds"].values()), 3)}
    return out


def thread_figures(run: dict[str, Any], raw_values: int, raw_bytes: int) -> dict[str, Any]:
    """The reported figures of one thread count: stage and end-to-end seconds, ratios to the floors, throughput."""
    e2e = run["build"]["wall_seconds"]
    stages, floor = run["stages"], run["floor"]
    traffic = sum(stages[s] for s in TRAFFIC_STAGES)
    return {
        "threads": run["threads"],
        "stage_seconds": {k: round(v, 4) for k, v in stages.items()},
        "model_seconds": {k: round(v, 4) for k, v in sorted(run["build"]["model_seconds"].items())},
        "end_to_end_seconds": round(e2e, 3),
        "end_to_end_seconds_runs": run["build"].get("wall_seconds_runs"),
        "floor_seconds": round(floor["seconds"], 3),
        "parse_floor_seconds": round(floor["parse_seconds"], 3),
        "parse_floor_double_seconds": round(floor["parse_seconds_double"], 3),
        "raw_read_ratio_to_parse_floor_double": round(stages["raw_read"] / floor["parse_seconds_double"], 3),
        "anchors": floor.get("anchors"),
        "ratio_to_parse_floor": round(e2e / floor["parse_seconds"], 3),
        "raw_read_ratio_to_parse_floor": round(stages["raw_read"] / floor["parse_seconds"], 3),
        "model_seconds_total": round(sum(run["build"]["model_seconds"].values()), 3),
        "peak_rss_mb": round(run["build"]["peak_rss_mb"], 1),
        "ratio_to_floor": round(e2e / floor["seconds"], 3),
        "traffic_models_seconds": round(traffic, 3),
        "traffic_models_ratio_to_floor": round(traffic / floor["seconds"], 3),
        "dbt_parse_seconds_untimed": round(run["build"]["parse_seconds"], 3),
        "values_per_second": round(raw_values / e2e),
        "mb_per_second": round(raw_bytes / 1e6 / e2e, 2),
        "floor_values_per_second": round(raw_values / floor["seconds"]),
        "floor_mb_per_second": round(raw_bytes / 1e6 / floor["seconds"], 2),
        "seconds_per_million_values": round(e2e / raw_values * 1e6, 4),
        "warehouse_pass_seconds": {k: round(v, 3) for k, v in run["warehouse_passes"]["seconds"].items()},
        "warehouse_three_pass_seconds": round(e2e + sum(run["warehouse_passes"]["seconds"].values()), 3),
        "analysis_error": run["analysis_error"],
    }


def add_baseline(result: dict[str, Any], data_root: Path, main: dict[str, Any], project: Path, top_tile_share: float) -> None:
    """Run the notebook baseline, check it reproduces the warehouse, and add its seconds and the speed-ups to `result`."""
    by_threads, top = result["by_threads"], result["by_threads"][-1]
    start = time.perf_counter()
    base = run_baseline(data_root, main["db"], project, top_tile_share)
    total = time.perf_counter() - start
    result["checks"] = compare_with_baseline(main["db"], base, main["warehouse_passes"])
    result["baseline_seconds"] = round(base["seconds"]["rho"], 3)
    result["baseline_pass_seconds"] = {k: round(v, 3) for k, v in base["seconds"].items()}
    result["baseline_three_pass_seconds"] = round(total, 3)
    for row in by_threads:
        row["speedup_vs_baseline"] = round(result["baseline_seconds"] / row["end_to_end_seconds"], 3)
        row["three_pass_speedup_vs_baseline"] = round(total / row["warehouse_three_pass_seconds"], 3)
    result["speedup_vs_baseline"] = top["speedup_vs_baseline"]
    result["three_pass_speedup_vs_baseline"] = top["three_pass_speedup_vs_baseline"]


def add_incremental(result: dict[str, Any], data_root: Path, work: Path, threads: int, project: Path, scale: str) -> None:
    """Measure adding one day (incremental_build) and its ratios to the full build, into `result`."""
    top = result["by_threads"][-1]
    inc = incremental_build(data_root, work, threads, project, scale)
    inc["ratio_to_full_build"] = round(inc["incremental_seconds"] / top["end_to_end_seconds"], 3)
    inc["model_seconds_ratio_to_full_build"] = round(inc["incremental_model_seconds"] / top["model_seconds_total"], 3)
    inc["session_ratio_to_full_build"] = round(inc["incremental_session_seconds"] / top["end_to_end_seconds"], 3)
    result["incremental"] = inc


def raw_size(data_root: Path) -> tuple[int, int, int]:
    """Lines, values and bytes of a generated dataset's traffic files. Each file holds its own city's tiles and every
    city has the same files (services x days), so the manifest's tile count over all cities times the files of one
    city is the number of lines; each holds 96 values, 92 on the spring-forward day."""
    files = raw_files(data_root)
    manifest = json.loads((data_root / "_synthetic" / "manifest.json").read_text())
    dst_stamp = f"{STUDY.dst_day:%Y%m%d}" if STUDY.dst_day else None
    dst_files = sum(1 for p in files if dst_stamp and dst_stamp in p.name)
    per_city = Counter(p.relative_to(data_root).parts[0] for p in files)
    if len(set(per_city.values())) != 1:
        raise AssertionError(f"the cities hold different numbers of files: {dict(per_city)}")
    files_per_city, dst_per_city = len(files) // len(per_city), dst_files // len(per_city)
    lines = manifest["n_tiles"] * files_per_city
    return lines, lines * 96 - 4 * manifest["n_tiles"] * dst_per_city, sum(p.stat().st_size for p in files)


def run_scale(scale: str, cities: list[str], days: str | None, threads: list[int], work: Path, seed: int, baseline: bool,
              project: Path, incremental: bool = True, variables: dict[str, Any] | None = None,
              reanalyse: bool = True) -> dict[str, Any]:
    """All measurements at one scale ('full', a stride, or 'full:CityA+CityB' for other cities); top-level figures
    are for the largest thread count. `variables`: extra dbt vars
    (e.g. a larger top_tile_share, so that a tiny grid has top tiles to compare)."""
    variables = dict(variables or {})
    default_cities = cities
    if ":" in scale:  # 'full:Nancy+Dijon': this scale over other cities
        scale, named = scale.split(":", 1)
        cities = named.split("+")
    data_root, gen_seconds = generated_data(work, cities, days, scale, seed)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    files = raw_files(data_root)
    manifest = json.loads((data_root / "_synthetic" / "manifest.json").read_text())
    runs = [measure_threads(data_root, n, work, project, scale, variables) for n in sorted(set(threads))]
    rows = runs[-1]["floor"]["rows"]
    lines, raw_values, raw_bytes = raw_size(data_root)
    if rows != lines:
        raise AssertionError(f"floor counted {rows} lines, expected {lines} ({manifest['n_tiles']} tiles x the files of one city)")
    result: dict[str, Any] = {
        "scale": scale if cities == default_cities else f"{scale} ({'+'.join(cities)})", "cities": cities,
        "days": manifest["n_days"], "n_tiles": manifest["n_tiles"],
        "n_files": len(files), "raw_bytes": raw_bytes, "raw_values": raw_values, "generation_seconds": gen_seconds,
        "by_threads": [thread_figures(run, raw_values, raw_bytes) for run in runs], "load_average_1min_before": load_before,
    }
    top = result["by_threads"][-1]
    result.update({k: top[k] for k in ("threads", "stage_seconds", "end_to_end_seconds", "floor_seconds", "peak_rss_mb", "ratio_to_floor")})
    if incremental:
        add_incremental(result, data_root, work, max(threads), project, scale)
    if baseline:
        add_baseline(result, data_root, runs[-1], project, float(variables.get("top_tile_share", STUDY.top_tile_share)))
    else:
        result["baseline_seconds"] = None
    if reanalyse:
        result["reanalysis"] = reanalysis(data_root, runs[-1]["db"], work, max(threads), project, variables)
        for row in result["reanalysis"]:
            for key in ("", "session_"):
                row[f"{key}speedup_vs_notebook_rerun"] = (round(result["baseline_seconds"] / row[f"{key}wall_seconds"], 2)
                                                          if result.get("baseline_seconds") and row.get(f"{key}wall_seconds") else None)
    result["load_average_1min_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return result


def run_bench(scales: list[str], cities: list[str], days: str | None, threads: list[int], out_dir: Path,
              seed: int = 20190316, baseline: bool = True, project_dir: Path | None = None,
              incremental: bool = True, variables: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One result object per scale (see REQUIRED_KEYS); data, DBs and dbt artefacts go under out_dir.

    project_dir: the dbt project whose models are measured (default: this working tree); variables: extra dbt vars."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    project = Path(project_dir).resolve() if project_dir else project_root()
    return [run_scale(str(s), cities, days, threads, out_dir, seed, baseline, project, incremental, variables) for s in scales]


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


def format_table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table: one row per scale and thread count."""
    head = ("| scale | tiles | days | raw MB | raw M values | threads | floor s | parse floor s | raw read s | tile->commune s | commune_hour s | "
            "rho+summary s | traffic models x floor | other models s | seeds+hooks s | dbt overhead s | end-to-end s | "
            "end-to-end x floor | end-to-end x parse floor | M values/s | MB/s | s per M values | peak RSS MB | analysis s | baseline s | x faster | "
            "3-pass warehouse s | 3-pass baseline s | 3-pass x faster | +1 day s | +1 day / full | +1 day models / full models |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        for t in r["by_threads"]:
            s = t["stage_seconds"]
            inc = r.get("incremental") if t["threads"] == r["threads"] else None
            lines.append(
                f"| {r['scale']} | {r['n_tiles']} | {r['days']} | {r['raw_bytes'] / 1e6:.0f} | {r['raw_values'] / 1e6:.1f} | {t['threads']} | "
                f"{t['floor_seconds']:.2f} | {t['parse_floor_seconds']:.2f} | {s['raw_read']:.2f} | {s['tile_to_commune']:.2f} | "
                f"{s['commune_hour']:.2f} | {s['rho_and_summary']:.2f} | "
                f"{t['traffic_models_ratio_to_floor']:.2f} | {s['other_models']:.2f} | {s['seeds_and_hooks']:.2f} | {s['dbt_overhead']:.2f} | "
                f"{t['end_to_end_seconds']:.2f} | {t['ratio_to_floor']:.2f} | {t['ratio_to_parse_floor']:.2f} | "
                f"{t['values_per_second'] / 1e6:.2f} | {t['mb_per_second']:.1f} | "
                f"{t['seconds_per_million_values']:.3f} | {t['peak_rss_mb']:.0f} | {s['analysis']:.2f} | "
                f"{r.get('baseline_seconds') if r.get('baseline_seconds') is not None else '-'} | {t.get('speedup_vs_baseline', '-')} | "
                f"{t['warehouse_three_pass_seconds']:.2f} | {r.get('baseline_three_pass_seconds', '-')} | "
                f"{t.get('three_pass_speedup_vs_baseline', '-')} | "
                f"{inc['incremental_seconds'] if inc else '-'} | {inc['ratio_to_full_build'] if inc else '-'} | "
                f"{inc['model_seconds_ratio_to_full_build'] if inc else '-'} |"
            )
    return "\n".join(lines)


def target_lines(results: list[dict[str, Any]]) -> list[str]:
    """Issue 13's targets, each a ratio within this run (met / not met), one Markdown bullet per scale and target."""
    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    lines = []
    for r in results:
        t = r["by_threads"][-1]
        head = f"- scale {r['scale']} ({t['threads']} threads)"
        lines.append(f"{head}, raw read: {t['raw_read_ratio_to_parse_floor']:.2f}x the parse floor in the build's type "
                     f"({mark(t['raw_read_ratio_to_parse_floor'] <= 1.4)}; {t['raw_read_ratio_to_parse_floor_double']:.2f}x the DOUBLE parse floor).")
        if r.get("baseline_seconds") is not None:
            lines.append(f"{head}, first build: {t['speedup_vs_baseline']:.2f}x the notebook's pass 1 "
                         f"({mark(t['speedup_vs_baseline'] >= 1.0)}; aim 1.3x).")
            lines.append(f"{head}, three passes: {t['three_pass_speedup_vs_baseline']:.2f}x the notebook's "
                         f"({mark(t['three_pass_speedup_vs_baseline'] >= 3)}).")
        # 10x on full Nancy, 30x at the largest scale measured
        goal = 30 if len(results) > 1 and r is results[-1] else 10
        for row in r.get("reanalysis", []):
            speed, warm = row.get("speedup_vs_notebook_rerun"), row.get("session_speedup_vs_notebook_rerun")
            if speed is not None and warm is not None:
                lines.append(f"{head}, re-analysis after {row['change']}: in a session {row['session_wall_seconds']:.2f} s, "
                             f"{warm:.2f}x the notebook re-run ({mark(warm >= goal)} for {goal}x); as a command-line `dbt build` "
                             f"{row['wall_seconds']:.2f} s, {speed:.2f}x ({row['n_models']} models, {row['model_seconds']:.2f} s in "
                             "models, the rest dbt's start-up).")
        if r.get("incremental"):
            inc = r["incremental"]
            warm = inc.get("session_ratio_to_full_build")
            best = min(inc["ratio_to_full_build"], warm if warm is not None else math.inf)
            session = (f"in a session {inc['incremental_session_seconds']:.2f} s, {warm:.3f} of a full build's wall time; "
                       if warm is not None else "")
            lines.append(f"{head}, one new day: {session}as a command-line `dbt build` {inc['incremental_seconds']:.2f} s, "
                         f"{inc['ratio_to_full_build']:.3f} (model time alone {inc['model_seconds_ratio_to_full_build']:.3f}) "
                         f"({mark(best <= 0.1)} for 1/10).")
        lines.append(f"{head}, peak RSS {t['peak_rss_mb']:.0f} MB ({mark(t['peak_rss_mb'] < 4096)}).")
        anchors = t.get("anchors") or {}
        cells = [f"count(*) floor {t['floor_seconds']:.2f} s", f"parse floor {t['parse_floor_seconds']:.2f} s",
                 f"DOUBLE parse floor {t['parse_floor_double_seconds']:.2f} s"]
        for name in ("polars", "pyarrow"):
            a = anchors.get(name, {})
            cells.append(f"{name} {a['seconds']:.2f} s ({a['seconds'] / t['parse_floor_seconds']:.2f}x the parse floor)"
                         if "seconds" in a else f"{name}: {a.get('missing', anchors.get('error', 'not run'))}")
        lines.append(f"{head}, anchors: " + "; ".join(cells) + ".")
    if len(results) > 1:
        per_value = [r["by_threads"][-1]["seconds_per_million_values"] for r in results]
        lines.append("- scale: seconds per million raw values, end to end, " + ", ".join(
            f"{v:.3f} ({r['scale']}, {r['raw_values'] / 1e6:.0f} M values)" for v, r in zip(per_value, results)) + ".")
    return lines


def format_reanalysis(results: list[dict[str, Any]]) -> str:
    """The re-analysis timings as a Markdown table."""
    lines = ["| scale | change | rebuilt | models | parse s | command-line wall s | model s | x faster | session wall s | "
             "session model s | x faster | notebook pass 1 s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for row in r.get("reanalysis", []):
            lines.append(f"| {r['scale']} | {row['change']} | `{row['selection']}` | {row['n_models']} | {row.get('parse_seconds', '-')} | "
                         f"{row['wall_seconds']:.2f} | "
                         f"{row['model_seconds']:.2f} | {row.get('speedup_vs_notebook_rerun', '-')} | "
                         f"{row.get('session_wall_seconds', '-')} | {row.get('session_model_seconds', '-')} | "
                         f"{row.get('session_speedup_vs_notebook_rerun', '-')} | {r.get('baseline_seconds', '-')} |")
    return "\n".join(lines)


THROUGHPUT_STAGES = ("raw_read", "tile_to_commune", "commune_hour", "rho_and_summary")


def add_stage_throughput(results: list[dict[str, Any]]) -> None:
    """Each stage's throughput over the scale's raw input (M values/s and MB/s), and the floors', in place."""
    for r in results:
        for t in r["by_threads"]:
            seconds = {**{s: t["stage_seconds"][s] for s in THROUGHPUT_STAGES},
                       "floor": t["floor_seconds"], "parse_floor": t["parse_floor_seconds"], "end_to_end": t["end_to_end_seconds"]}
            t["stage_throughput"] = {
                k: {"m_values_per_second": round(r["raw_values"] / 1e6 / v, 2), "mb_per_second": round(r["raw_bytes"] / 1e6 / v, 1)}
                for k, v in seconds.items() if v > 0
            }


def format_throughput(results: list[dict[str, Any]]) -> str:
    """Throughput per stage as a Markdown table: M raw values per second (MB per second)."""
    keys = ("floor", "parse_floor", *THROUGHPUT_STAGES, "end_to_end")
    head = "| scale | threads | " + " | ".join(keys) + " |"
    lines = [head, "|" + "---|" * (len(keys) + 2)]
    for r in results:
        for t in r["by_threads"]:
            cells = [
                f"{t['stage_throughput'][k]['m_values_per_second']:.1f} ({t['stage_throughput'][k]['mb_per_second']:.0f})"
                if k in t["stage_throughput"] else "-"
                for k in keys
            ]
            lines.append(f"| {r['scale']} | {t['threads']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(results: list[dict[str, Any]], results_dir: Path, info: dict[str, Any], notes: list[str] | None = None) -> tuple[Path, Path]:
    """benchmarks/results.json (machine + one object per scale) and benchmarks/results.md (with optional notes)."""
    add_stage_throughput(results)
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = results_dir / "results.json", results_dir / "results.md"
    json_path.write_text(json.dumps({"machine": info, "caution": CAUTION, "notes": notes or [], "results": results}, indent=2, default=str) + "\n")
    v = info["versions"]
    md = [
        "# netmob-tor bench",
        "",
        f"Run {info['date']} on git commit `{info['git_commit']}`"
        + (" (with uncommitted changes to models/macros)" if info["models_uncommitted_changes"] else "")
        + f"; {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB memory; Python {info['python']}, "
        f"DuckDB {v['duckdb']}, dbt-core {v['dbt-core']}, dbt-duckdb {v['dbt-duckdb']}, pandas {v['pandas']}, numpy {v['numpy']}.",
        "",
        "Synthetic NetMob-format files from the project's generator (3 services, DL). *floor*: DuckDB `count(*)` over "
        "`read_csv` of the same files with the source's column spec, same run and thread count (it converts no value). "
        "*parse floor*: the same scan summing all 96 values, i.e. converting every value to a number. *raw read*: the "
        "one model that reads the text (parse, hours, checks, written as the tile-day table). *end-to-end*: wall "
        "time of `dbt build --select +commune_summary` without tests, raw files to `commune_summary` (dbt start-up "
        f"included), the median of {BUILD_REPEATS} fresh builds (every wall time in results.json). Stage columns "
        "are dbt's per-model times summed by stage; the analysis is timed after the build and not included in "
        "end-to-end. *baseline*: benchmarks/notebook_baseline.py pass 1 (per-file pandas "
        "read_csv, merge, group by commune and quarter-hour, concatenate, hourly sums, Pearson ln-ln per commune), "
        f"checked equal to the warehouse's rho to {RHO_TOLERANCE:g}. *3-pass*: plus re-reading every file for the "
        "top 0.1 % (tile, service) pairs and for the top-10 communes' tile series; the warehouse side is the build "
        "plus the same two results in SQL from the tile-day table (checked equal; the tile series is materialised as a "
        "temporary table and fingerprinted, the baseline's is a DataFrame). *+1 day models*: model time of the incremental "
        "run over model time of the full build (dbt start-up excluded). Peak RSS is the dbt process's.",
        "",
        format_table(results),
        "",
        "Throughput of each stage over the raw input: million raw values per second (MB per second).",
        "",
        format_throughput(results),
        "",
        "Re-analysis: the models each change rebuilds, into the built warehouse, from the tile-day and commune-day tables "
        "(no model that reads the text runs; checked). *Command line*: `dbt build` of the selection with the changed vars, "
        "after an untimed `dbt parse` with the same vars, so its wall time holds dbt's start-up but not the full re-parse "
        "a change of vars costs a user at the command line (the untimed parse, column *parse s*). *Session*: the same "
        "changes in one `netmob_tor.session.Session`, which parses the project once (untimed) and rebuilds each change "
        "in process on the kept graph (only the `reanalysis_vars` change; checked that nothing re-parsed). The notebook's "
        "re-run is its pass 1, which re-reads every file.",
        "",
        format_reanalysis(results),
        "",
        "## Targets of issue 13 (largest thread count, each a ratio within this run)",
        "",
        *target_lines(results),
        "",
        *([*notes, ""] if notes else []),
        CAUTION,
        "",
    ]
    md_path.write_text("\n".join(md))
    return json_path, md_path


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `netmob-tor bench`."""
    parser = argparse.ArgumentParser(prog="netmob-tor bench", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--scales", default="full,full:Nancy+Nice",
                        help="comma-separated generator scales: full, a stride, or full:CityA+CityB for other cities (default: full Nancy, "
                             "then Nancy and Nice together, about 2.3x its size; about 20 minutes on 2 cores with the data already generated)")
    parser.add_argument("--cities", default="Nancy", help="comma-separated urban areas (default Nancy, the smallest full grid)")
    parser.add_argument("--days", default=None, help="YYYY-MM-DD:YYYY-MM-DD (default: all 77 study days)")
    parser.add_argument("--threads", default="2", help="DuckDB thread counts to measure, comma-separated (default 2, the machine's cores)")
    parser.add_argument("--seed", type=int, default=20190316)
    parser.add_argument("--work-dir", default=str(project_root() / "benchmarks" / "data"), help="generated data, DBs and dbt artefacts (gitignored)")
    parser.add_argument("--results-dir", default=str(project_root() / "benchmarks"), help="where results.md and results.json go")
    parser.add_argument("--rev", default=None,
                        help="measure the models of this git revision (a git-archive snapshot under the work dir) instead of the working tree")
    parser.add_argument("--attempts", default=str(project_root() / "benchmarks" / "attempts.md"),
                        help="hand-kept record of what was tried for the targets not met, with its own measurements, "
                             "appended to results.md (a missing file is skipped)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--no-incremental", action="store_true", help="skip the one-new-day incremental measurement")
    parser.add_argument("--target", choices=("duckdb", "spark"), default="duckdb",
                        help="spark: the traffic DAG on Spark in local mode beside DuckDB, on the same files (netmob_tor.bench_spark; "
                             "needs `make setup-spark`), written to spark.md / spark.json in --results-dir")
    parser.add_argument("--spark-driver-memory", default="4g", help="with --target spark: Spark's driver memory (local mode: all of Spark)")
    return parser


def main_bench(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write results.md / results.json."""
    args = build_parser().parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    cities = [c.strip() for c in args.cities.split(",") if c.strip()]
    threads = [int(t) for t in args.threads.split(",")]
    work = Path(args.work_dir).resolve()
    if args.target == "spark":
        from netmob_tor.bench_spark import main_spark_bench

        return main_spark_bench(scales, cities, args.days, work, Path(args.results_dir), args.seed, max(threads), args.spark_driver_memory)
    project, sha = snapshot(args.rev, work) if args.rev else (None, None)
    info = machine(sha)
    results = run_bench(scales, cities, args.days, threads, work, seed=args.seed, baseline=not args.no_baseline, project_dir=project,
                        incremental=not args.no_incremental)
    attempts = Path(args.attempts)
    json_path, md_path = write_results(results, Path(args.results_dir), info,
                                       attempts.read_text(encoding="utf-8").splitlines() if attempts.exists() else None)
    print(format_table(results))
    print(f"\nwrote {md_path} and {json_path} (git {info['git_commit']}). {CAUTION}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_bench())
