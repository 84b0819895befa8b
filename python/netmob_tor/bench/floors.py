"""Floors and anchors of `netmob-tor bench`: the raw files a scale reads, their size, and the plain scans a build is set beside.

The floors are DuckDB scans of the same files with the source's column spec (count(*), and the sum of every
value in the build's parse type); the anchors are polars and pyarrow summing them (netmob_tor.bench.anchors,
run in a subprocess). Also the generated datasets themselves (cached by their generation arguments).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from netmob_tor.duck import connect
from netmob_tor.params import defaults
from netmob_tor.paths import landing_path

STUDY = defaults()  # the bench generates and builds the study's default period, services and direction
SERVICES = STUDY.services
MEMORY_LIMIT = "4GB"  # of every DuckDB the bench runs: the floors, the dbt builds and the warehouse's passes


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
    """polars and pyarrow summing the same files (netmob_tor.bench.anchors, in a subprocess for polars' thread count)."""
    env = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, "-m", "netmob_tor.bench.anchors", str(threads), str(data_root), *SERVICES],
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
