"""One storage operation per process; prints one JSON line with its internal wall time.

usage: ops.py OP KIND DIR
  OP   full | changed | newday | read | noop | copy | count
  KIND lake (DuckLake, DuckDB-file catalog) | lakesq (DuckLake, SQLite catalog) | duck (plain DuckDB file)
  DIR  store folder: lake -> DIR/lake.ducklake + DIR/lake_data/ ; lakesq -> DIR/lake.sqlite + DIR/lake_data/ ;
       duck -> DIR/landing.duckdb
"""
import json, os, shutil, sys, time
from pathlib import Path

import common, landing


def open_store(kind, d, read_only=False):
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    if kind == "duck":
        con = common.connect(d / "landing.duckdb", ducklake=False, read_only=read_only)
        return con, ""  # tables in the default catalog
    con = common.connect(ducklake=True, sqlite=(kind == "lakesq"))
    cat = f"ducklake:{d}/lake.ducklake" if kind == "lake" else f"ducklake:sqlite:{d}/lake.sqlite"
    ro = ", READ_ONLY" if read_only else ""
    con.execute(f"ATTACH '{cat}' AS lake (DATA_PATH '{d}/lake_data/'{ro})")
    return con, "lake."


def insert_ledger(con, p, files):
    """One multi-row INSERT (one DuckLake snapshot, not one per file)."""
    vals = ", ".join(f"('{f}', {s}, {m!r})" for f, s, m in landing.ledger_rows(files))
    con.execute(f"INSERT INTO {p}loaded_files VALUES {vals}")


def main():
    op, kind, d = sys.argv[1:4]
    t0 = time.perf_counter()
    out = {"op": op, "kind": kind}
    if op == "copy":  # what `netmob-tor build` does today: shutil.copyfile of the whole warehouse
        src = Path(d) / "landing.duckdb"
        dst = Path(d) / f"landing.duckdb.building-{os.getpid()}"
        shutil.copyfile(src, dst)
        out["secs"] = time.perf_counter() - t0
        out["bytes"] = dst.stat().st_size
        dst.unlink()
        print(json.dumps(out)); return
    con, p = open_store(kind, d, read_only=(op in ("read", "count")))
    t_open = time.perf_counter() - t0
    if op == "full":
        con.execute("BEGIN")
        con.execute(f"CREATE TABLE {p}landing ({landing.DDL})")
        con.execute(f"CREATE TABLE {p}loaded_files ({landing.LEDGER_DDL})")
        files = landing.all_files()
        con.execute(f"INSERT INTO {p}landing {landing.select_sql(files)}")
        insert_ledger(con, p, files)
        con.execute("COMMIT")
    elif op in ("changed", "newday"):
        files = (landing.day_files(landing.CHANGED_DAY) if op == "changed"
                 else landing.day_files("20190601", landing.NEW_DAY_DIR))
        flist = ", ".join(f"'{f}'" for f in files)
        con.execute("BEGIN")
        con.execute(f"DELETE FROM {p}landing WHERE source_file IN ({flist})")
        con.execute(f"INSERT INTO {p}landing {landing.select_sql(files)}")
        con.execute(f"DELETE FROM {p}loaded_files WHERE source_file IN ({flist})")
        insert_ledger(con, p, files)
        con.execute("COMMIT")
    elif op == "read":
        rows = con.execute(f"SELECT count(*), sum(h12), sum(h00) FROM ({landing.AGG_SQL.replace('{tbl}', p + 'landing')})").fetchone()
        out["groups"], out["check_h12"], out["check_h00"] = rows
    elif op == "noop":
        # a build that changes nothing: open, read the ledger, compare with the files, find nothing to load
        ledger = {r[0]: (r[1], r[2]) for r in con.execute(f"SELECT * FROM {p}loaded_files").fetchall()}
        todo = [f for f, s, m in landing.ledger_rows(landing.all_files()) if ledger.get(f) != (s, m)]
        out["todo"] = len(todo)
    elif op == "count":
        out["rows"], out["files"] = con.execute(f"SELECT count(*), count(DISTINCT source_file) FROM {p}landing").fetchone()
    con.close()
    out["open_secs"] = t_open
    out["secs"] = time.perf_counter() - t0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
