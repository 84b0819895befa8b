"""`netmob-tor build`: an open reader never fails the build and keeps the last good marts; a failed
build leaves the warehouse byte for byte as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from netmob_tor.swap_build import swap_build
from netmob_tor.synth.generate import generate

FILE = Path("Dijon") / "Tor" / "20190401" / "Dijon_Tor_20190401_DL.txt"


def dbt_args(root: Path, work: Path) -> list[str]:
    """A quiet build of the traffic chain of a two-day Dijon set, with its own target and log folders."""
    return [
        "--quiet", "--select", "+commune_hour", "--exclude", "test_type:unit", "--indirect-selection", "cautious",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", f"{{data_root: '{root}', study_start: '2019-04-01', study_end: '2019-04-02'}}",
    ]


def tor_total(con: duckdb.DuckDBPyConnection) -> float:
    """Tor download over the built commune hours."""
    return con.execute("select sum(tor_dl) from commune_hour").fetchone()[0]


def digest(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reader_keeps_the_last_good_marts_and_failed_build_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    generate(root, seed=21, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    db = tmp_path / "wh.duckdb"
    assert swap_build(dbt_args(root, tmp_path), db) == 0

    reader = duckdb.connect(str(db), read_only=True)  # an analyst's open connection
    before = tor_total(reader)
    raw = pd.read_csv(root / FILE, sep=" ", header=None)
    raw.iloc[:, 1:] += 1  # every Tor value of one file grows by one
    np.savetxt(root / FILE, raw.to_numpy(), fmt="%d", delimiter=" ")
    assert swap_build(dbt_args(root, tmp_path), db) == 0  # not blocked by the reader
    assert tor_total(reader) == before  # the reader still sees the last good marts
    reader.close()
    fresh = duckdb.connect(str(db), read_only=True)
    assert tor_total(fresh) > before  # a new reader sees the new build
    fresh.close()

    good = digest(db)
    lines = (root / FILE).read_text().splitlines()
    (root / FILE).write_text("\n".join(lines + [lines[0]]) + "\n")  # a repeated tile: the build must stop
    assert swap_build(dbt_args(root, tmp_path), db) != 0
    assert digest(db) == good
    assert not list(tmp_path.glob("wh.duckdb.building-*"))


def test_interrupted_build_changes_nothing(tmp_path: Path) -> None:
    """A build stopped by Ctrl-C (SIGINT to its process group) leaves the warehouse as it was and no copy behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "root"
    generate(root, seed=22, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    db = tmp_path / "wh.duckdb"
    assert swap_build(dbt_args(root, tmp_path), db) == 0
    good = digest(db)
    code = "import sys; from netmob_tor.swap_build import swap_build; sys.exit(swap_build(sys.argv[2:], __import__('pathlib').Path(sys.argv[1])))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), "--full-refresh", *dbt_args(root, tmp_path)], start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("wh.duckdb.building-*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # dbt is under way on the copy
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=120) != 0
    assert digest(db) == good
    assert not list(tmp_path.glob("wh.duckdb.building-*"))
