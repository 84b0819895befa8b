"""`netmob-tor build`: `dbt build` into a copy of the warehouse, swapped in only when it succeeds.

DuckDB lets one process write a file or several read it, not both: a notebook or `netmob-tor sql`
holding the warehouse open would make a build in place fail on its lock, and a failed or
interrupted build in place would leave half-built marts. Here dbt writes a private copy
(`<warehouse>.building-<pid>`, incremental tables included, so nothing is re-read that need not
be); on success the copy replaces the warehouse with one atomic rename. Readers that had the file
open keep reading the last good marts (their open file is the old one); new readers see the new
ones. On failure the warehouse is untouched and the partial copy is removed.
Exploratory area-level data: no individual or causal meaning.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from netmob_tor.paths import default_database, project_root


def staging_path(database: Path) -> Path:
    """The private copy one build writes (per process, so two builds never share it)."""
    return database.with_name(f"{database.name}.building-{os.getpid()}")


def wal_path(database: Path) -> Path:
    """DuckDB's write-ahead log beside a database file."""
    return database.with_name(database.name + ".wal")


def swap_build(dbt_args: list[str], database: Path | None = None) -> int:
    """Run `dbt build *dbt_args` on a copy of `database` and swap it in on success; return dbt's exit code."""
    database = database or default_database()
    if wal_path(database).exists():
        print(f"netmob-tor build: {wal_path(database)} exists: a writer is open on the warehouse or was interrupted; "
              "close it (or open and close the warehouse once to replay the log), then build again", file=sys.stderr)
        return 2
    database.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_path(database)
    if database.exists():
        shutil.copyfile(database, staging)
    env = {**os.environ, "NETMOB_TOR_DB": str(staging), "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(project_root()))}
    dbt = Path(sys.executable).with_name("dbt")
    try:
        code = subprocess.call([str(dbt), "build", *dbt_args], cwd=project_root(), env=env)
        if code == 0 and not staging.exists():
            print("netmob-tor build: dbt wrote nothing; the warehouse is unchanged", file=sys.stderr)
            return code
        if code == 0:
            os.replace(staging, database)
            print(f"netmob-tor build: swapped the new warehouse in: {database}")
        else:
            print(f"netmob-tor build: dbt build failed (exit {code}); the warehouse {database} is unchanged", file=sys.stderr)
        return code
    finally:
        for leftover in (staging, wal_path(staging)):
            leftover.unlink(missing_ok=True)


def main_build(argv: list[str]) -> int:
    """Entry point of `netmob-tor build [dbt build options]`."""
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        print("\nusage: netmob-tor build [any `dbt build` option, e.g. --vars '{data_root: /path}' --select ...]")
        print(f"warehouse: {default_database()} (NETMOB_TOR_DB overrides)")
        return 0
    return swap_build(argv)
