"""`netmob-tor build`: one writer at a time and nothing lost or left behind.

An open reader never fails the build and keeps the last good marts; a failed, interrupted or killed
(`kill -9`) build leaves the warehouse byte for byte as it was, no dbt process and no file behind, and
the next build works; two builds at once both land, one after the other (the second starts from the
first's result); the landing is never copied; a renamed copy of the warehouse builds; a full or
read-only disk gives one line and an untouched warehouse.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from netmob_tor.paths import landing_path, project_root
from netmob_tor.swap_build import swap_build
from netmob_tor.synth.generate import generate

FILE = Path("Dijon") / "Tor" / "20190401" / "Dijon_Tor_20190401_DL.txt"
BUILD = "import sys; from netmob_tor.cli import main; sys.exit(main(['build', *sys.argv[1:]]))"


def dbt_args(root: Path, work: Path, select: str = "+commune_hour") -> list[str]:
    """A quiet build of the traffic chain of a two-day Dijon set, with its own target and log folders."""
    return [
        "--quiet", "--select", select, "--exclude", "test_type:unit", "--indirect-selection", "cautious",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", f"{{data_root: '{root}', study_start: '2019-04-01', study_end: '2019-04-02'}}",
    ]


def tor_total(con: duckdb.DuckDBPyConnection) -> float:
    """Tor download over the built commune hours."""
    return con.execute("select sum(tor_dl) from commune_hour").fetchone()[0]


def digest(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def left_behind(folder: Path) -> list[str]:
    """Files a build must not leave: private copies, write-ahead logs, the lock's holder note, spill folders."""
    names = [p.name for p in folder.iterdir() if ".building-" in p.name or p.name.endswith((".wal", ".lock"))]
    return sorted(names + [p.name for p in (folder / "tmp").glob("build-*")])


def build_process(db: Path, args: list[str], **kw: object) -> subprocess.Popen:
    """`netmob-tor build` of `args` into `db` as its own process (as a user runs it)."""
    env = {**os.environ, "NETMOB_TOR_DB": str(db)}
    return subprocess.Popen([sys.executable, "-c", BUILD, *args], env=env, cwd=project_root(), text=True, **kw)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of Dijon."""
    folder = tmp_path_factory.mktemp("swap") / "root"
    generate(folder, seed=21, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    return folder


def test_profiles_yml_finds_the_landing_where_python_does(root: Path, tmp_path: Path) -> None:
    """A plain `dbt build` (NETMOB_TOR_DB only) writes the landing where netmob_tor.paths.landing_path says."""
    db = tmp_path / "plain.duckdb"
    env = {**os.environ, "NETMOB_TOR_DB": str(db), "DBT_PROFILES_DIR": str(project_root())}
    env.pop("NETMOB_TOR_LANDING", None)
    done = subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", *dbt_args(root, tmp_path, "+int_traffic__loaded_files")],
                          cwd=project_root(), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert landing_path(db).exists()
    with duckdb.connect(str(landing_path(db)), read_only=True) as con:
        assert con.execute("select count(*) from int_traffic__loaded_files").fetchone()[0] == 6


def test_reader_keeps_the_last_good_marts_and_failed_build_changes_nothing(root: Path, tmp_path: Path) -> None:
    data = tmp_path / "root"
    generate(data, seed=21, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    db = tmp_path / "wh.duckdb"
    assert swap_build(dbt_args(data, tmp_path), db) == 0
    landing_size = landing_path(db).stat().st_size
    assert landing_size > 0 and not left_behind(tmp_path)

    reader = duckdb.connect(str(db), read_only=True)  # an analyst's open connection
    before = tor_total(reader)
    raw = pd.read_csv(data / FILE, sep=" ", header=None)
    raw.iloc[:, 1:] += 1  # every Tor value of one file grows by one
    np.savetxt(data / FILE, raw.to_numpy(), fmt="%d", delimiter=" ")
    assert swap_build(dbt_args(data, tmp_path), db) == 0  # not blocked by the reader
    assert tor_total(reader) == before  # the reader still sees the last good marts
    reader.close()
    with duckdb.connect(str(db), read_only=True) as fresh:
        assert tor_total(fresh) > before  # a new reader sees the new build

    good = digest(db)
    lines = (data / FILE).read_text().splitlines()
    (data / FILE).write_text("\n".join(lines + [lines[0]]) + "\n")  # a repeated tile: the build must stop
    assert swap_build(dbt_args(data, tmp_path), db) != 0
    assert digest(db) == good
    assert not left_behind(tmp_path)


def test_interrupted_build_changes_nothing(root: Path, tmp_path: Path) -> None:
    """A build stopped by Ctrl-C (SIGINT to its process group) or SIGTERM leaves the warehouse as it was and nothing behind."""
    db = tmp_path / "wh.duckdb"
    assert swap_build(dbt_args(root, tmp_path), db) == 0
    good = digest(db)
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = build_process(db, ["--full-refresh", *dbt_args(root, tmp_path)], start_new_session=True, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("wh.duckdb.building-*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # dbt is under way on the copy
        os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode != 0
        assert "the warehouse" in err and "is unchanged" in err and "Traceback" not in err, err
        assert digest(db) == good
        assert not left_behind(tmp_path)


def test_kill_9_leaves_no_process_and_no_file(root: Path, tmp_path: Path) -> None:
    """`kill -9` of the build mid-way: its dbt child dies too, the janitor removes the copy, the next build is green."""
    db = tmp_path / "wh.duckdb"
    proc = build_process(db, dbt_args(root, tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("wh.duckdb.building-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # dbt is writing the copy and the landing
    spawned = children(proc.pid)
    assert len(spawned) == 2, "the build runs dbt and its janitor"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30
    while (any(alive(p) for p in spawned) or left_behind(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in spawned if alive(p)], "a process of the killed build still runs"
    assert not left_behind(tmp_path)
    assert not db.exists()  # the first build never swapped anything in
    assert swap_build(dbt_args(root, tmp_path), db) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert tor_total(con) > 0


def test_two_builds_at_once_both_land(root: Path, tmp_path: Path) -> None:
    """Two builds started together: the second waits for the first, then builds on its result (nothing lost)."""
    db = tmp_path / "wh.duckdb"
    first = build_process(db, dbt_args(root, tmp_path / "a", "+commune_hour"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1)
    second = build_process(db, dbt_args(root, tmp_path / "b", "+city_tile_coverage"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert "waiting for the writer of pid" in err2
    with duckdb.connect(str(db), read_only=True) as con:  # both builds' models are there
        assert tor_total(con) > 0
        assert con.execute("select count(*) from city_tile_coverage").fetchone()[0] > 0
    nowait = build_process(db, ["--no-wait", *dbt_args(root, tmp_path / "c")], stderr=subprocess.PIPE)
    time.sleep(0.5)
    blocked = build_process(db, ["--no-wait", *dbt_args(root, tmp_path / "d")], stderr=subprocess.PIPE)
    _, err = blocked.communicate(timeout=600)
    nowait.communicate(timeout=600)
    assert blocked.returncode != 0 and "is writing this warehouse" in err and "Traceback" not in err, err
    assert not left_behind(tmp_path)


def test_build_waits_for_a_process_reading_the_landing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A landing held open by another process (as `sensitivity` holds it while it rebuilds): the build waits, saying so
    once, and goes on when it is closed; with --no-wait it stops at once in one line."""
    from netmob_tor.errors import UserError
    from netmob_tor.swap_build import check_landing_free

    landing = tmp_path / "wh.landing.duckdb"
    duckdb.connect(str(landing)).close()
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); time.sleep(3)"
    reader = subprocess.Popen([sys.executable, "-c", hold, str(landing)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    with pytest.raises(UserError, match="is open in another process"):
        check_landing_free(landing, wait=False)
    started = time.monotonic()
    check_landing_free(landing, wait=True, poll_seconds=0.1)
    assert reader.wait(timeout=30) == 0 and time.monotonic() - started > 1.0
    err = capsys.readouterr().err
    assert err.count("waiting for the landing") == 1, err


def test_renamed_copy_builds_and_reads(root: Path, tmp_path: Path) -> None:
    """Views do not name the file's catalog: a renamed copy reads and builds."""
    db = tmp_path / "wh.duckdb"
    assert swap_build(dbt_args(root, tmp_path), db) == 0
    copy = tmp_path / "renamed.duckdb"
    copy.write_bytes(db.read_bytes())
    with duckdb.connect(str(copy), read_only=True) as con:
        views = con.execute("select schema_name, view_name from duckdb_views() where not internal and sql not like '%landing.%'").fetchall()
        assert views
        os.chdir(project_root())
        for schema, view in views:
            if view.startswith("stg_netmob") or view.startswith(("base_", "stg_")):
                continue  # staging views read the raw files of the build's data_root (and spatial)
            con.execute(f'select * from "{schema}"."{view}" limit 1')
    assert swap_build(dbt_args(root, tmp_path), copy) == 0


def tmpfs(path: Path, size: str) -> bool:
    """Mount a tmpfs of `size` at `path` (root only); False where the machine does not allow it."""
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0


def test_full_and_read_only_disk_give_one_line(root: Path, tmp_path: Path) -> None:
    """A disk too small for the build's copy, then a read-only one: one line, the warehouse untouched."""
    disk = tmp_path / "disk"
    if not tmpfs(disk, "40M"):
        pytest.skip("mounting a tmpfs needs root (CI runs as root); the disk cases are not checked here")
    try:
        db = disk / "wh.duckdb"
        assert swap_build(dbt_args(root, tmp_path), db) == 0
        good = digest(db)
        filler = disk / "filler"
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler.write_bytes(b"\0" * max(free - db.stat().st_size // 2, 0))  # room for half a copy
        done = build_process(db, dbt_args(root, tmp_path), stderr=subprocess.PIPE)
        _, err = done.communicate(timeout=600)
        assert done.returncode != 0 and "No space left on device" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
        assert digest(db) == good and not left_behind(disk)
        filler.unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        done = build_process(db, dbt_args(root, tmp_path), stderr=subprocess.PIPE)
        _, err = done.communicate(timeout=600)
        assert done.returncode != 0 and "Read-only file system" in err and "Traceback" not in err, err
        assert digest(db) == good
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
