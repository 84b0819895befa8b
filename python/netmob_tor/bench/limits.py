"""How far each reader of the raw text is from the machine's physical limits, measured in one run on the same files.

The limits: reading every file's bytes from the page cache (one thread), and one pass over every byte already in
memory (a count of the newlines with numpy: the least any parser pays, bounded by memory bandwidth). The readers:
DuckDB's parse floor (the sum of every value, as `netmob-tor bench` times it), polars and pyarrow summing the same
files (netmob_tor.bench.anchors). A SIMD integer parser (about 1 GB/s per core in the literature) is not installed
here: its time is worked out from that rate, not measured, and said so.

    python -m netmob_tor.bench.limits DATA_ROOT [THREADS]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from netmob_tor.bench.floors import raw_files, reader_anchors, scan_floor

SIMD_BYTES_PER_SECOND_PER_CORE = 1e9  # the rate the issue names for a SIMD integer parser; an estimate, not a measurement


def page_cache_read(files: list[Path]) -> tuple[float, list[bytes]]:
    """Seconds to read every file's bytes (after a first, untimed read puts them in the page cache), and the bytes."""
    for path in files:
        path.read_bytes()
    start = time.perf_counter()
    contents = [path.read_bytes() for path in files]
    return time.perf_counter() - start, contents


def byte_pass(contents: list[bytes]) -> tuple[float, int]:
    """Seconds for one pass over every byte in memory (numpy's newline count, one thread), and the lines counted."""
    arrays = [np.frombuffer(text, dtype=np.uint8) for text in contents]
    start = time.perf_counter()
    lines = sum(int(np.count_nonzero(array == 10)) for array in arrays)
    return time.perf_counter() - start, lines


def measure(data_root: Path, threads: int) -> dict[str, Any]:
    """Every row of the comparison: seconds, and the rate over the files' bytes."""
    files = raw_files(data_root)
    read_seconds, contents = page_cache_read(files)
    size = sum(len(text) for text in contents)
    pass_seconds, lines = byte_pass(contents)
    del contents
    floors = scan_floor(data_root, threads, "BIGINT")
    anchors = reader_anchors(data_root, threads)
    simd = size / SIMD_BYTES_PER_SECOND_PER_CORE / threads
    rows = [
        ("read every file from the page cache (Python, 1 thread)", read_seconds, "measured"),
        ("one pass over every byte in memory (numpy newline count, 1 thread)", pass_seconds, "measured"),
        (f"SIMD integer parser at 1 GB/s per core, {threads} cores", simd, "estimate"),
        ("SIMD integer parser at 1 GB/s, 1 core", simd * threads, "estimate"),
        (f"DuckDB count(*) of the lines, {threads} threads (converts no value)", floors["seconds"], "measured"),
        (f"DuckDB parse floor: the sum of every value as BIGINT, {threads} threads", floors["parse_seconds"], "measured"),
    ]
    for name in ("polars", "pyarrow"):
        if "seconds" in anchors.get(name, {}):
            rows.append((f"{name}: the sum of every value, {threads} threads", anchors[name]["seconds"], "measured"))
    return {"files": len(files), "bytes": size, "lines": lines, "duckdb_lines": floors["rows"], "threads": threads,
            "rows": [{"what": what, "seconds": round(seconds, 3), "mb_per_second": round(size / max(seconds, 1e-9) / 1e6, 1),
                      "x_simd_estimate": round(seconds / simd, 2), "kind": kind} for what, seconds, kind in rows]}


def format_rows(result: dict[str, Any]) -> str:
    """The comparison as a Markdown table."""
    lines = [f"{result['files']} files, {result['bytes'] / 1e6:,.0f} MB, {result['lines']:,} lines; "
             f"× the SIMD estimate: the row's seconds over the {result['threads']}-core SIMD parser's.", "",
             "| what | seconds | MB/s | × the SIMD estimate | |", "|---|---|---|---|---|"]
    lines += [f"| {r['what']} | {r['seconds']} | {r['mb_per_second']:,} | {r['x_simd_estimate']} | {r['kind']} |"
              for r in result["rows"]]
    return "\n".join(lines)


if __name__ == "__main__":
    measured = measure(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    print(format_rows(measured))
    print(json.dumps(measured), file=sys.stderr)
