"""A5: concurrency between processes. Each role is a separate OS process (this file run with a role name).

usage: conc.py            -> runs every scenario, prints a verbatim log
       conc.py ROLE KIND DIR [args]   (internal: one process)
"""
import json, os, shutil, subprocess, sys, time
from pathlib import Path

import common, landing
from ops import open_store

PY = str(common.ROOT / ".venv" / "bin" / "python")
T0 = float(os.environ.get("CONC_T0", time.time()))


def say(role, msg):
    print(f"[{time.time() - T0:6.2f}s] {role}: {msg}", flush=True)


def role_main(role, kind, d, *args):
    hold = float(args[0]) if args else 0
    name = f"{role}({kind})"
    try:
        if role == "writer_insert_all":  # attach, then one long INSERT (all 231 files again) in one transaction
            con, p = open_store(kind, d)
            say(name, "attached")
            n0 = con.execute(f"SELECT count(*) FROM {p}landing").fetchone()[0]
            say(name, f"rows before: {n0}; INSERT of all 231 files starts")
            con.execute(f"INSERT INTO {p}landing {landing.select_sql(landing.all_files())}")
            say(name, "INSERT committed (autocommit)")
            time.sleep(hold)
            con.close(); say(name, "closed")
        elif role == "writer_insert_day":  # a second writer: append a day
            con, p = open_store(kind, d)
            say(name, "attached")
            con.execute(f"INSERT INTO {p}landing {landing.select_sql(landing.day_files('20190601', landing.NEW_DAY_DIR))}")
            say(name, "INSERT of one day committed")
            con.close(); say(name, "closed")
        elif role == "writer_day_then_hold":  # append a day (committed), then stay open without closing
            con, p = open_store(kind, d)
            con.execute(f"INSERT INTO {p}landing {landing.select_sql(landing.day_files('20190601', landing.NEW_DAY_DIR))}")
            say(name, "INSERT of one day committed; holding the connection open (starts)")
            time.sleep(hold); con.close(); say(name, "closed")
        elif role == "idle_writer":  # attach read-write and hold, doing nothing
            con, p = open_store(kind, d)
            say(name, f"attached read-write, idle for {hold}s")
            time.sleep(hold); con.close(); say(name, "closed")
        elif role in ("reader", "reader_rw"):
            con, p = open_store(kind, d, read_only=(role == "reader"))
            say(name, "attached" + (" READ_ONLY" if role == "reader" else " (read-write mode)"))
            for i in range(max(1, int(hold))):
                n = con.execute(f"SELECT count(*) FROM {p}landing").fetchone()[0]
                snap = ""
                if kind != "duck":
                    snap = f", current_snapshot={con.execute('FROM lake.current_snapshot()').fetchone()[0]}"
                say(name, f"count(*) = {n}{snap}")
                if hold > 1:
                    time.sleep(1)
            con.close(); say(name, "closed")
    except Exception as e:
        say(name, f"ERROR {type(e).__name__}: {e}")


def spawn(role, kind, d, *args):
    return subprocess.Popen([PY, __file__, role, kind, str(d), *map(str, args)], env={**os.environ, "CONC_T0": repr(T0)})


def fresh(kind):
    src = common.WORK / {"lake": "base_A", "lakesq": "base_S", "duck": "base_B"}[kind]
    dst = common.WORK / {"lake": "A", "lakesq": "S", "duck": "B"}[kind]  # same folder: DuckLake's stored data_path
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def scenario(title, steps):
    global T0
    print(f"\n=== {title}", flush=True)
    T0 = time.time()
    procs = []
    for delay, args in steps:
        time.sleep(delay)
        procs.append(spawn(*args))
    for p in procs:
        p.wait()


def marts_swap():
    """B: a reader holds marts.duckdb open (read-only) while a build swaps a new one in with os.replace."""
    global T0
    print("\n=== B marts: reader keeps its open file across a copy + os.replace swap", flush=True)
    T0 = time.time()
    d = common.WORK / "marts"
    shutil.rmtree(d, ignore_errors=True); d.mkdir()
    m = d / "marts.duckdb"
    con = common.connect(m, ducklake=False)
    con.execute("CREATE TABLE commune_hours AS SELECT 1 AS version, range AS commune FROM range(100)")
    con.close()
    reader = common.connect(m, ducklake=False, read_only=True)
    say("reader", f"opened marts read-only: {reader.execute('SELECT version, count(*) FROM commune_hours GROUP BY 1').fetchall()}")
    staging = d / f"marts.duckdb.building-{os.getpid()}"
    shutil.copyfile(m, staging)
    b = common.connect(staging, ducklake=False)
    b.execute("CREATE OR REPLACE TABLE commune_hours AS SELECT 2 AS version, range AS commune FROM range(120)")
    b.close()
    os.replace(staging, m)
    say("builder", "copied marts, rebuilt the copy (version 2, 120 rows), os.replace'd it over marts.duckdb")
    say("reader", f"same connection after swap: {reader.execute('SELECT version, count(*) FROM commune_hours GROUP BY 1').fetchall()}")
    # a new reader in a new process (in the same process duckdb.connect(path) reuses the open instance)
    out = subprocess.run([PY, "-c", "import duckdb; c = duckdb.connect(%r, read_only=True); "
                          "print(c.execute('SELECT version, count(*) FROM commune_hours GROUP BY 1').fetchall())" % str(m)],
                         capture_output=True, text=True)
    say("new reader (new process)", (out.stdout + out.stderr).strip())
    # in the same process, duckdb.connect(path) returns the cached instance of the old (unlinked) file:
    r2 = common.connect(m, ducklake=False, read_only=True)
    say("new connection, same process", f"{r2.execute('SELECT version, count(*) FROM commune_hours GROUP BY 1').fetchall()}")
    # and a builder writing the copy while a reader holds the live file: separate files, no lock between them
    shutil.copyfile(m, staging)
    b = common.connect(staging, ducklake=False)
    b.execute("INSERT INTO commune_hours SELECT 3, 999")
    b.close(); staging.unlink()
    say("builder", "copied marts.duckdb and wrote the copy read-write while readers hold marts.duckdb: no lock error")
    reader.close(); r2.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        role_main(*sys.argv[1:]); sys.exit()
    for kind in ("lake", "lakesq", "duck"):
        d = fresh(kind)
        scenario(f"{kind}: reader (READ_ONLY) starts 3s into a writer's long INSERT",
                 [(0, ("writer_insert_all", kind, d, 3)), (3, ("reader", kind, d, 1))])
        d = fresh(kind)
        scenario(f"{kind}: reader (read-write attach) starts 3s into a writer's long INSERT",
                 [(0, ("writer_insert_all", kind, d, 3)), (3, ("reader_rw", kind, d, 1))])
        d = fresh(kind)
        scenario(f"{kind}: second writer starts 3s into a first writer's long INSERT",
                 [(0, ("writer_insert_all", kind, d, 3)), (3, ("writer_insert_day", kind, d))])
        d = fresh(kind)
        scenario(f"{kind}: a reader holds the store open (idle, polling 1/s) and a writer starts 2s later",
                 [(0, ("reader", kind, d, 8)), (2, ("writer_insert_day", kind, d))])
        d = fresh(kind)
        scenario(f"{kind}: an idle read-write attach (no statement running) and a reader 2s later",
                 [(0, ("idle_writer", kind, d, 5)), (2, ("reader", kind, d, 1))])
    d = fresh("lakesq")
    scenario("lakesq: a polling reader (1/s) across a writer's long INSERT (what does it see mid-write?)",
             [(0, ("reader", "lakesq", d, 60)), (1, ("writer_insert_all", "lakesq", d, 0))])
    marts_swap()
