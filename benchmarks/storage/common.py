"""Shared helpers: offline extension install from the PyPI wheels, connections, timing."""
import os, time, json, pathlib, importlib

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXT_DIR = ROOT / ".duckdb" / "extensions"
DATA = ROOT / "data" / "nancy_full" / "Nancy"
WORK = ROOT / "work"
WORK.mkdir(exist_ok=True)


def wheel_extension(pkg: str, name: str) -> pathlib.Path:
    """Path of <name>.duckdb_extension inside the installed duckdb-extension-<pkg> wheel."""
    mod = importlib.import_module(f"duckdb_extension_{pkg}")
    root = pathlib.Path(mod.__file__).parent
    found = sorted(root.rglob(f"{name}.duckdb_extension"))
    if not found:
        raise FileNotFoundError(f"{name}.duckdb_extension not under {root}")
    return found[0]


def install_offline(con, pkg: str, name: str):
    # INSTALL '<file>' copies the binary into extension_directory; LOAD then finds it there.
    con.execute(f"INSTALL '{wheel_extension(pkg, name)}'")
    con.execute(f"LOAD {name}")


def connect(path=":memory:", *, read_only=False, ducklake=True, sqlite=False, threads=2, mem="4GB"):
    con = duckdb.connect(str(path), read_only=read_only, config={
        "threads": threads, "memory_limit": mem, "preserve_insertion_order": False,
        "extension_directory": str(EXT_DIR), "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    })
    if ducklake:
        install_offline(con, "ducklake", "ducklake")
    if sqlite:
        install_offline(con, "sqlite", "sqlite")
    return con


def du(path) -> int:
    p = pathlib.Path(path)
    if not p.exists():
        return 0
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def record(name: str, **kw):
    """Append one JSON line of results to results.jsonl."""
    kw["name"] = name
    kw["ts"] = time.time()
    with open(ROOT / "results.jsonl", "a") as f:
        f.write(json.dumps(kw) + "\n")
    print(json.dumps(kw))
