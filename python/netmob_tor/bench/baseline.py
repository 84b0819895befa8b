"""The notebook-style baseline of `netmob-tor bench` (benchmarks/notebook_baseline.py) and the warehouse's own passes 2 and 3.

The baseline's three passes (commune rho, the top tiles, the top communes' tile series) run on the raw files
with the crosswalk, c and cpc read from the built warehouse, and are checked equal to the warehouse's.
"""

from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd

from netmob_tor.bench.equality import RHO_TOLERANCE
from netmob_tor.bench.floors import MEMORY_LIMIT
from netmob_tor.duck import attach_landing, connect
from netmob_tor.paths import project_root


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
