"""Anchors of `netmob-tor bench`: the same raw files summed by polars and by pyarrow, to set DuckDB's parser beside the best readers on the machine.

Run as `python -m netmob_tor.bench.anchors THREADS DATA_ROOT SERVICE...` (a subprocess, so that polars' thread
count is set before it is imported). Prints one JSON object: seconds and the total of every value per reader,
or the reason a reader is missing (both are the optional extra `.[bench]`, never a runtime dependency).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def files_and_widths(data_root: Path, services: list[str], direction: str = "DL") -> list[tuple[Path, int]]:
    """Every traffic file with its number of fields (tile id + 96 values, or 92 on the spring-forward day), from its first line."""
    out = []
    for s in services:
        for path in sorted(data_root.glob(f"*/{s}/*/*_{s}_*_{direction}.txt")):
            with path.open() as f:
                out.append((path, len(f.readline().split(" "))))
    return out


def polars_sum(files: list[tuple[Path, int]]) -> float:
    """Sum of every value with polars.read_csv, file by file (a typed schema per file width)."""
    import polars as pl

    total = 0
    for path, width in files:
        frame = pl.read_csv(path, separator=" ", has_header=False, schema={f"c{i}": pl.Int64 for i in range(width)})
        total += frame.select(pl.sum_horizontal(pl.all().exclude("c0").sum())).item()
    return float(total)


def pyarrow_sum(files: list[tuple[Path, int]], threads: int) -> float:
    """Sum of every value with pyarrow.csv.read_csv (multi-threaded), file by file."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    pa.set_cpu_count(threads)
    total = 0
    for path, width in files:
        names = [f"c{i}" for i in range(width)]
        table = pcsv.read_csv(path, read_options=pcsv.ReadOptions(column_names=names, use_threads=True),
                              parse_options=pcsv.ParseOptions(delimiter=" "),
                              convert_options=pcsv.ConvertOptions(column_types={c: pa.int64() for c in names}))
        total += sum(pc.sum(table[c]).as_py() or 0 for c in names[1:])
    return float(total)


def measure(threads: int, data_root: Path, services: list[str]) -> dict[str, Any]:
    """Seconds and value total of each reader; a reader that is not installed is reported, not timed."""
    files = files_and_widths(data_root, services)
    result: dict[str, Any] = {}
    for name, reader in (("polars", polars_sum), ("pyarrow", lambda f: pyarrow_sum(f, threads))):
        try:
            start = time.perf_counter()
            total = reader(files)
            result[name] = {"seconds": round(time.perf_counter() - start, 3), "value_total": total}
        except ImportError as exc:
            result[name] = {"missing": f"{exc} (pip install -e '.[bench]')"}
    return result


if __name__ == "__main__":
    n = int(sys.argv[1])
    os.environ.setdefault("POLARS_MAX_THREADS", str(n))
    print(json.dumps(measure(n, Path(sys.argv[2]), sys.argv[3:])))
