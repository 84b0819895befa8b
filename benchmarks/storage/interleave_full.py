"""A1/A1s/B1 again, the three stores interleaved rep by rep (the machine is shared: interleaving spreads
other load evenly over the candidates). Records A1_full_lake_il, A1s_full_lakesq_il, B1_full_duck_il."""
import shutil, statistics, sys
import common
from bench import store_bytes, timed

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
stores = [("A1_full_lake_il", "lake", common.WORK / "A"), ("B1_full_duck_il", "duck", common.WORK / "B"),
          ("A1s_full_lakesq_il", "lakesq", common.WORK / "S")]
runs = {s[0]: [] for s in stores}
for i in range(reps):
    for label, kind, d in stores:
        shutil.rmtree(d, ignore_errors=True)
        r = timed(["full", kind, str(d)])
        r.update(store_bytes(kind, d))
        r["loadavg_1m_after"] = float(open("/proc/loadavg").read().split()[0])
        runs[label].append(r)
        print(label, round(r["secs"], 2), r["loadavg_1m_after"], flush=True)
for label, kind, d in stores:
    rr = runs[label]
    s = [r["secs"] for r in rr]
    common.record(label, op="full", kind=kind, runs=rr, median_secs=statistics.median(s), min_secs=min(s), max_secs=max(s),
                  median_process_secs=statistics.median(r["process_secs"] for r in rr),
                  max_rss_mb=max(r["peak_rss_mb"] for r in rr))
