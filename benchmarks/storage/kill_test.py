"""A6/B6: kill -9 of a writer mid-INSERT; what is left on disk, and does the next writer work?"""
import os, signal, subprocess, sys, time
from pathlib import Path

import common, landing
from conc import PY, fresh
from ops import open_store

CONC = str(Path(__file__).with_name("conc.py"))


def listing(d):
    return {str(p.relative_to(d)): p.stat().st_size for p in sorted(Path(d).rglob("*")) if p.is_file()}


def show_diff(before, after):
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            print(f"    {k}: {before.get(k, '-')} -> {after.get(k, '-')} bytes")


def run(kind, kill_after, role="writer_insert_all"):
    what = ("an INSERT of all 231 files" if role == "writer_insert_all"
            else "(i.e. after) the COMMIT of a one-day INSERT, connection still open")
    print(f"\n=== {kind}: kill -9 of a writer {kill_after}s into {what}", flush=True)
    d = fresh(kind)
    before = listing(d)
    p = subprocess.Popen([PY, CONC, role, kind, str(d), "60"], stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        print("   ", line.rstrip(), flush=True)
        if "starts" in line:
            break
    time.sleep(kill_after)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    print(f"    killed (returncode {p.returncode}); files changed on disk:")
    after = listing(d)
    show_diff(before, after)
    # next writer
    try:
        con, pre = open_store(kind, d)
        n = con.execute(f"SELECT count(*) FROM {pre}landing").fetchone()[0]
        print(f"    next writer opened it: count(*) = {n} (before the killed insert: 5755365; one day = 74745 rows)")
        if kind != "duck":
            print("    snapshots:", con.execute("SELECT snapshot_id, changes FROM lake.snapshots()").fetchall())
            listed = {Path(r[0]).name for r in con.execute("SELECT data_file FROM ducklake_list_files('lake', 'landing')").fetchall()}
            disk = {p.name for p in (Path(d) / "lake_data").rglob("*.parquet")}
            ledger = {Path(r[0]).name for r in con.execute("SELECT data_file FROM ducklake_list_files('lake', 'loaded_files')").fetchall()}
            print("    parquet files on disk not referenced by the catalog:", sorted(disk - listed - ledger))
        con.execute(f"INSERT INTO {pre}landing {landing.select_sql(landing.day_files('20190601', landing.NEW_DAY_DIR))}")
        print(f"    next writer appended a day: count(*) = {con.execute(f'SELECT count(*) FROM {pre}landing').fetchone()[0]}")
        if kind != "duck":
            print("    ducklake_delete_orphaned_files(dry_run, cleanup_all):",
                  con.execute("SELECT path FROM ducklake_delete_orphaned_files('lake', dry_run => true, cleanup_all => true)").fetchall())
            con.execute("SELECT * FROM ducklake_delete_orphaned_files('lake', cleanup_all => true)").fetchall()
            disk = {p.name for p in (Path(d) / "lake_data").rglob("*.parquet")}
            print(f"    after ducklake_delete_orphaned_files(cleanup_all): {len(disk)} parquet files on disk")
        con.close()
        print("    files after the next writer closed (vs before the kill):")
        show_diff(before, listing(d))
    except Exception as e:
        print(f"    next writer ERROR {type(e).__name__}: {e}")


if __name__ == "__main__":
    for kind in ("lake", "lakesq", "duck"):
        for t in (4, 12):
            run(kind, t)
        run(kind, 2, "writer_day_then_hold")
