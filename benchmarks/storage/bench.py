"""Run `ops.py` operations under /usr/bin/time -v, N times, and append results to results.jsonl.

usage: bench.py LABEL REPS PREP OP KIND DIR
  PREP: none | fresh (remove DIR before each rep) | restore:SRC (DIR := copy of SRC before each rep, untimed)
"""
import json, re, shutil, subprocess, sys, statistics
from pathlib import Path

import common

PY = str(common.ROOT / ".venv" / "bin" / "python")
OPS = str(Path(__file__).with_name("ops.py"))


def timed(args):
    p = subprocess.run(["/usr/bin/time", "-v", PY, OPS, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed: {args}\n{p.stdout}\n{p.stderr}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    res["process_secs"] = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    res["peak_rss_mb"] = rss / 1024
    # CPU seconds (user + system) of the process: less sensitive than wall time to other load on a shared machine
    res["cpu_secs"] = (float(re.search(r"User time \(seconds\): ([\d.]+)", p.stderr).group(1))
                       + float(re.search(r"System time \(seconds\): ([\d.]+)", p.stderr).group(1)))
    return res


def store_bytes(kind, d):
    d = Path(d)
    if kind == "duck":
        return {"bytes_db": common.du(d / "landing.duckdb"), "bytes_wal": common.du(d / "landing.duckdb.wal")}
    cat = d / ("lake.ducklake" if kind == "lake" else "lake.sqlite")
    files = list((d / "lake_data").rglob("*.parquet"))
    return {"bytes_catalog": common.du(cat), "bytes_data": common.du(d / "lake_data"), "parquet_files": len(files),
            "delete_files": sum(1 for f in files if "delete" in f.name)}


def main():
    label, reps, prep, op, kind, d = sys.argv[1:7]
    runs = []
    for i in range(int(reps)):
        if prep == "fresh":
            shutil.rmtree(d, ignore_errors=True)
        elif prep.startswith("restore:"):
            shutil.rmtree(d, ignore_errors=True)
            src = prep.split(":", 1)[1]
            # DuckLake stores DATA_PATH in its catalog: the copy is attached with its own DATA_PATH in ops.py
            shutil.copytree(src, d)
        r = timed([op, kind, d])
        r.update(store_bytes(kind, d))
        r["loadavg_1m_after"] = float(open("/proc/loadavg").read().split()[0])
        runs.append(r)
        print(json.dumps(r), flush=True)
    secs = [r["secs"] for r in runs]
    common.record(label, op=op, kind=kind, runs=runs, median_secs=statistics.median(secs), min_secs=min(secs),
                  max_secs=max(secs), median_process_secs=statistics.median(r["process_secs"] for r in runs),
                  max_rss_mb=max(r["peak_rss_mb"] for r in runs))


if __name__ == "__main__":
    main()
