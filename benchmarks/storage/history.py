"""Does the cost of a no-op build / a read grow with the number of incremental commits? And DuckLake maintenance.

usage: history.py KIND N   (N incremental "changed day" commits, each its own process, then noop/read/maintenance)
"""
import json, shutil, subprocess, sys, time
from pathlib import Path

import common
from bench import store_bytes, timed
from conc import fresh
from ops import open_store

kind, n = sys.argv[1], int(sys.argv[2])
d = fresh(kind)
res = {"kind": kind, "commits": n}
res["noop_before"] = min(timed(["noop", kind, str(d)])["secs"] for _ in range(3))
res["read_before"] = min(timed(["read", kind, str(d)])["secs"] for _ in range(3))
res["bytes_before"] = store_bytes(kind, d)
t = []
for i in range(n):
    t.append(timed(["changed", kind, str(d)])["secs"])
res["changed_secs_first3"], res["changed_secs_last3"] = t[:3], t[-3:]
res["noop_after"] = min(timed(["noop", kind, str(d)])["secs"] for _ in range(3))
res["read_after"] = min(timed(["read", kind, str(d)])["secs"] for _ in range(3))
res["bytes_after"] = store_bytes(kind, d)
if kind != "duck":
    con, p = open_store(kind, d)
    t0 = time.perf_counter()
    # DuckLake maintenance: expire old snapshots, rewrite files with deletes, merge small files, delete unreferenced files
    con.execute("CALL ducklake_expire_snapshots('lake', older_than => now())")
    con.execute("CALL ducklake_rewrite_data_files('lake')")
    con.execute("CALL ducklake_merge_adjacent_files('lake')")
    con.execute("CALL ducklake_cleanup_old_files('lake', cleanup_all => true)")
    res["maintenance_secs"] = time.perf_counter() - t0
    con.close()
else:
    con, p = open_store(kind, d)
    t0 = time.perf_counter()
    con.execute("CHECKPOINT")
    res["maintenance_secs"] = time.perf_counter() - t0
    con.close()
res["bytes_after_maintenance"] = store_bytes(kind, d)
res["noop_after_maintenance"] = min(timed(["noop", kind, str(d)])["secs"] for _ in range(3))
res["read_after_maintenance"] = min(timed(["read", kind, str(d)])["secs"] for _ in range(3))
common.record(f"history_{kind}", **res)
