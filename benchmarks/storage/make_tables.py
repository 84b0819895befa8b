"""Markdown table of the bench results (last record per label; the previous series' median beside it)."""
import json, statistics
from collections import defaultdict
import common

recs = defaultdict(list)
for line in open(common.ROOT / "results.jsonl"):
    r = json.loads(line)
    recs[r["name"]].append(r)

ORDER = ["A1_full_lake", "A1s_full_lakesq", "B1_full_duck", "A1_full_lake_il", "A1s_full_lakesq_il", "B1_full_duck_il",
         "A2_changed_lake", "A2s_changed_lakesq", "B2_changed_duck",
         "A2_newday_lake", "A2s_newday_lakesq", "B2_newday_duck",
         "A3_read_lake", "A3s_read_lakesq", "B3_read_duck",
         "A4_noop_lake", "A4s_noop_lakesq", "B4_noop_nocopy_duck", "B4_copy_duck"]


def fmt_bytes(run):
    if "bytes_db" in run:
        return f"db {run['bytes_db']:,}" + (f" + wal {run['bytes_wal']:,}" if run.get("bytes_wal") else "")
    return (f"catalog {run['bytes_catalog']:,} + data {run['bytes_data']:,} "
            f"({run['parquet_files']} parquet, {run['delete_files']} delete)")


print("| measurement | wall s median [min–max] (in-process) | op only s (minus open/attach) | process wall s (median) | process CPU s user+sys median [min–max] | peak RSS MB (max) | bytes on disk after | load avg (1 min) per run | earlier series: median s (all series) |")
print("|---|---|---|---|---|---|---|---|---|")
for name in ORDER:
    if name not in recs:
        continue
    r = recs[name][-1]
    runs = r["runs"]
    ops = [x["secs"] - x.get("open_secs", 0) for x in runs]
    prev = ", ".join(f"{x['median_secs']:.2f}" for x in recs[name][:-1]) or "–"
    cpu = [x["cpu_secs"] for x in runs if "cpu_secs" in x]
    cpus = f"{statistics.median(cpu):.2f} [{min(cpu):.2f}–{max(cpu):.2f}]" if cpu else "–"
    load = ", ".join(f"{x['loadavg_1m_after']:.0f}" for x in runs if "loadavg_1m_after" in x)
    print(f"| {name} | {r['median_secs']:.2f} [{r['min_secs']:.2f}–{r['max_secs']:.2f}] | {statistics.median(ops):.2f} "
          f"| {r['median_process_secs']:.2f} | {cpus} | {r['max_rss_mb']:.0f} | {fmt_bytes(runs[-1])} | {load} | {prev} |")
for name in ("B4_copy_12GiB",):
    if name in recs:
        r = recs[name][-1]
        print(f"| {name} (shutil.copyfile of a 12 GiB file) | {r['median_secs']:.2f} [{r['min_secs']:.2f}–{r['max_secs']:.2f}] | | | | | {r['bytes']:,} copied | | |")
print()
for name in ("history_lake", "history_lakesq", "history_duck"):
    if name in recs:
        print(name, json.dumps(recs[name][-1]))
