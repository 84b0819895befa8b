"""`netmob-tor bench --target spark`: the traffic DAG on Spark (local mode) beside DuckDB, on the same files.

At each scale the generated files are built twice: on DuckDB (the default target, raw text to
`commune_summary`, as in the main bench) and on Spark (`dbt build --target spark --selector
spark_traffic`, `local[N]` on the machine's cores), the Spark build reading DuckDB's Parquet export of
what only DuckDB builds (netmob_tor.spark). Both are checked equal (rho, lagged rho, Spearman rho and c
per commune, to 1e-9) before a figure is written. The figures are seconds and seconds per million raw
values, for the whole command (dbt start-up, and Spark's JVM start-up, included) and for the models
that run on both targets; the sizing lines extrapolate the Spark models' per-value cost to the
study's three services and to all of NetMob 2023, on paper. Results: benchmarks/spark.md and spark.json.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from netmob_tor import CAUTION
from netmob_tor.bench.builds import FULL_SELECTOR, dbt_build, machine, node_seconds, stage_of, timed_run
from netmob_tor.bench.equality import RHO_TOLERANCE, largest_gaps, read_both
from netmob_tor.bench.floors import generated_data, raw_size
from netmob_tor.duck import connect
from netmob_tor.paths import project_root
from netmob_tor.spark import export_duckdb_inputs, spark_build_command, spark_env

COMPARED = ("rho", "rho_tor_lagged", "rho_spearman", "c")
# On paper: the inputs of the study (three services, one direction) and of all NetMob 2023 (68 services, both
# directions), in bytes of text, as the issue and the NetMob documentation give them.
SIZINGS = {"the study's 3 services (DL)": 50e9, "NetMob 2023, 68 services x 2 directions": 2.3e12}
CLUSTER_CORES = (16, 64, 256)


def spark_build(data_root: Path, exports: Path, work: Path, cores: int, driver_memory: str) -> dict[str, Any]:
    """One Spark build into a fresh warehouse under `work`: wall seconds, seconds per model and peak RSS."""
    warehouse = work / "spark_warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    shutil.rmtree(work / "target", ignore_errors=True)
    cmd = spark_build_command(data_root, exports, work)
    wall, peak_mb = timed_run(cmd, project_root(), spark_env(warehouse, f"local[{cores}]", driver_memory), work / "rss_spark.txt")
    models, others = node_seconds(work / "target")
    return {"wall_seconds": wall, "model_seconds": models, "seed_and_hook_seconds": others, "peak_rss_mb": peak_mb,
            "marts": warehouse / "main.db"}


def spark_gaps(db: Path, marts: Path) -> dict[str, float]:
    """Largest absolute difference per commune between the DuckDB build's commune_summary and Spark's, per COMPARED
    column (netmob_tor.bench.equality); `n` communes, and how many have a rho on one side only."""
    duck, spark = read_both(db, marts, "commune_summary", ["commune_code"])
    if duck["commune_code"].tolist() != spark["commune_code"].tolist():
        raise AssertionError(f"Spark and DuckDB differ in communes ({len(spark)} vs {len(duck)} rows of commune_summary)")
    null_mismatch = int((duck["rho"].isna() != spark["rho"].isna()).sum())
    return {**largest_gaps(duck, spark, COMPARED), "n": float(len(duck)), "null_mismatch": float(null_mismatch)}


def run_spark_scale(scale: str, cities: list[str], days: str | None, cores: int, work: Path, seed: int,
                    driver_memory: str) -> dict[str, Any]:
    """DuckDB and Spark on one generated dataset ('full', a stride, or 'full:CityA+CityB'), checked equal."""
    if ":" in scale:
        scale, named = scale.split(":", 1)
        cities = named.split("+")
    data_root, _ = generated_data(work, cities, days, scale, seed)
    load_before = os.getloadavg()[0]
    lines, values, size = raw_size(data_root)
    run_dir = work / f"spark_{'-'.join(sorted(cities))}_s{scale}"
    run_dir.mkdir(parents=True, exist_ok=True)
    db = run_dir / "duckdb.duckdb"
    duck = dbt_build(data_root, db, run_dir, cores, project_root(), selector=FULL_SELECTOR)
    exports = run_dir / "duckdb_exports"
    con = connect(db, read_only=True)
    try:
        start = time.perf_counter()
        export_duckdb_inputs(con, exports)
        export_seconds = time.perf_counter() - start
    finally:
        con.close()
    spark = spark_build(data_root, exports, run_dir, cores, driver_memory)
    gaps = spark_gaps(db, spark["marts"])
    if gaps["null_mismatch"] or any(gaps[c] > RHO_TOLERANCE for c in COMPARED):
        raise AssertionError(f"{scale} {cities}: Spark and DuckDB differ: {gaps}")
    both = sorted(set(spark["model_seconds"]) & set(duck["model_seconds"]))
    spark_models = sum(spark["model_seconds"][m] for m in both)
    duck_models = sum(duck["model_seconds"][m] for m in both)
    per_m = 1e6 / values
    return {
        "scale": scale, "cities": cities, "cores": cores, "driver_memory": driver_memory, "lines": lines, "raw_values": values,
        "raw_bytes": size, "bytes_per_value": round(size / values, 3),
        "duckdb_wall_seconds": round(duck["wall_seconds"], 2), "duckdb_peak_rss_mb": round(duck["peak_rss_mb"], 1),
        "export_seconds": round(export_seconds, 3),
        "spark_wall_seconds": round(spark["wall_seconds"], 2), "spark_peak_rss_mb": round(spark["peak_rss_mb"], 1),
        "spark_seed_seconds": round(spark["seed_and_hook_seconds"], 2),
        "models_on_both": len(both), "duckdb_models_seconds": round(duck_models, 3), "spark_models_seconds": round(spark_models, 3),
        "raw_read_seconds": {"duckdb": round(sum(duck["model_seconds"][m] for m in both if stage_of(m) == "raw_read"), 3),
                             "spark": round(sum(spark["model_seconds"][m] for m in both if stage_of(m) == "raw_read"), 3)},
        "duckdb_wall_seconds_per_million_values": round(duck["wall_seconds"] * per_m, 4),
        "spark_wall_seconds_per_million_values": round(spark["wall_seconds"] * per_m, 4),
        "duckdb_models_seconds_per_million_values": round(duck_models * per_m, 4),
        "spark_models_seconds_per_million_values": round(spark_models * per_m, 4),
        "spark_over_duckdb_wall": round(spark["wall_seconds"] / duck["wall_seconds"], 2),
        "spark_over_duckdb_models": round(spark_models / duck_models, 2),
        "largest_gaps": gaps, "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "spark_model_seconds": {k: round(v, 3) for k, v in sorted(spark["model_seconds"].items())},
        "duckdb_model_seconds": {k: round(duck["model_seconds"][k], 3) for k in both},
    }


def sizing_lines(result: dict[str, Any]) -> list[str]:
    """On paper, from the largest scale's Spark model cost per value (core-seconds, assumed to divide over cores)."""
    core_seconds_per_value = result["spark_models_seconds"] * result["cores"] / result["raw_values"]
    lines = []
    for label, size in SIZINGS.items():
        values = size / result["bytes_per_value"]
        core_hours = values * core_seconds_per_value / 3600
        spread = ", ".join(f"{core_hours / n:.2f} h on {n} cores" for n in CLUSTER_CORES)
        lines.append(f"- {label}: about {size / 1e9:,.0f} GB, {values / 1e9:,.0f} G values at {result['bytes_per_value']} bytes a value "
                     f"-> {core_hours:,.0f} core-hours of Spark models ({spread}).")
    return lines


def write_spark_results(results: list[dict[str, Any]], out_dir: Path, info: dict[str, Any]) -> tuple[Path, Path]:
    """benchmarks/spark.json and spark.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "spark.json", out_dir / "spark.md"
    json_path.write_text(json.dumps({"machine": info, "caution": CAUTION, "results": results}, indent=2, default=str) + "\n")
    head = ("| scale | cities | cores | M values | MB | DuckDB wall s | Spark wall s | Spark/DuckDB wall | models on both | DuckDB models s | "
            "Spark models s | Spark/DuckDB models | raw read DuckDB s | raw read Spark s | DuckDB wall s/M values | Spark wall s/M values | "
            "Spark models s/M values | DuckDB peak RSS MB | Spark dbt process peak RSS MB (JVM apart) | largest rho gap | load before, after |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        rows.append(
            f"| {r['scale']} | {'+'.join(r['cities'])} | {r['cores']} | {r['raw_values'] / 1e6:.1f} | {r['raw_bytes'] / 1e6:.0f} | "
            f"{r['duckdb_wall_seconds']} | {r['spark_wall_seconds']} | {r['spark_over_duckdb_wall']} | {r['models_on_both']} | "
            f"{r['duckdb_models_seconds']} | {r['spark_models_seconds']} | {r['spark_over_duckdb_models']} | "
            f"{r['raw_read_seconds']['duckdb']} | {r['raw_read_seconds']['spark']} | {r['duckdb_wall_seconds_per_million_values']} | "
            f"{r['spark_wall_seconds_per_million_values']} | {r['spark_models_seconds_per_million_values']} | "
            f"{r['duckdb_peak_rss_mb']} | {r['spark_peak_rss_mb']} | {r['largest_gaps']['rho']:.1e} | "
            f"{r['load_average_1min'][0]}, {r['load_average_1min'][1]} |")
    v = info["versions"]
    md = [
        "# netmob-tor bench --target spark",
        "",
        f"Run {info['date']} on git commit `{info['git_commit']}`; {info['cores']} cores, {info['memory_gb']} GB memory; DuckDB "
        f"{v['duckdb']}, dbt-core {v['dbt-core']}, dbt-duckdb {v['dbt-duckdb']}; Spark in local mode (`local[N]`, N = cores), "
        f"driver memory {results[0]['driver_memory'] if results else '?'}.",
        "",
        "The same generated files built on both targets, one fresh build each. *DuckDB wall*: `dbt build --select "
        f"{FULL_SELECTOR}` without tests (raw text to commune_summary, the spatial crosswalk included). *Spark wall*: `dbt build "
        "--target spark --selector spark_traffic` without tests (seeds and models; the JVM's start-up included), reading "
        "DuckDB's Parquet export of the crosswalk and the small inputs (`netmob-tor export-duckdb-inputs`, timed apart in "
        "spark.json). *Models on both*: the models the two builds share, their dbt execution times summed. Each run checks "
        f"rho, lagged rho, Spearman rho and c per commune equal to {RHO_TOLERANCE:g} before writing. *Load*: the machine's "
        "1-minute load average before and after the scale's builds (above the core count, other work shared the machine).",
        "",
        *rows,
        "",
        "## Sizing on paper",
        "",
        "From the largest scale above: the Spark models' seconds times the cores used, per raw value, taken to divide evenly "
        "over a cluster's cores (no shuffle or skew cost added, so a lower bound for the models; dbt and JVM start-up, the "
        "crosswalk and the file listing apart).",
        "",
        *(sizing_lines(max(results, key=lambda r: r["raw_values"])) if results else []),
        "",
        CAUTION,
        "",
    ]
    md_path.write_text("\n".join(md))
    return json_path, md_path


def main_spark_bench(scales: list[str], cities: list[str], days: str | None, work: Path, results_dir: Path, seed: int,
                     cores: int | None = None, driver_memory: str = "4g") -> int:
    """Run the Spark-beside-DuckDB bench at each scale, write spark.md / spark.json and print the table."""
    cores = cores or os.cpu_count() or 2
    info = machine()
    results = [run_spark_scale(s, cities, days, cores, work, seed, driver_memory) for s in scales]
    json_path, md_path = write_spark_results(results, results_dir, info)
    print(md_path.read_text())
    print(f"wrote {md_path} and {json_path}")
    return 0
