"""The user's data folder is only read: `make build DATA_ROOT=<folder>` leaves it byte for byte and time for time
as it was (nothing generated into it, moved, deleted or added), and `generate --out` refuses, in one line, a
folder it did not write. Exploratory area-level data: no individual or causal meaning."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from netmob_tor.cli import main
from netmob_tor.paths import project_root
from netmob_tor.synth.generate import GENERATED_MARKER, generate


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under root (folders too): content hash, size and modification time in ns."""
    out = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[str(path.relative_to(root))] = (digest, stat.st_size if path.is_file() else 0, stat.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder as a user has it: two days of Dijon in the real layout, without the generator's marker,
    with a file of the user's own beside the inputs."""
    folder = tmp_path_factory.mktemp("user") / "my NetMob data"
    generate(folder, seed=31, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    (folder / GENERATED_MARKER).unlink()
    shutil.rmtree(folder / "_synthetic")
    (folder / "notes.txt").write_text("my notes: do not touch\n")
    return folder


def test_make_build_with_data_root_leaves_the_folder_as_it_was(user_folder: Path, tmp_path: Path) -> None:
    before = snapshot(user_folder)
    env = {**os.environ, "NETMOB_TOR_DB": str(tmp_path / "wh.duckdb"), "DBT_USE_COLORS": "false"}
    done = subprocess.run(["make", "build", f"DATA_ROOT={user_folder}",
                           "VARS=study_start: \"2019-04-01\", study_end: \"2019-04-02\""],
                          cwd=project_root(), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "netmob-tor generate" not in done.stdout
    assert snapshot(user_folder) == before
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        kind, root = con.execute("select source_kind, data_root from data_source").fetchone()
    assert (kind, root) == ("real", str(user_folder))  # the source as the warehouse records it


def test_generate_refuses_a_folder_it_did_not_write(user_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(user_folder)
    assert main(["generate", "--out", str(user_folder), "--cities", "Dijon", "--days", "2019-04-01", "--scale", "60"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "did not write" in err and str(user_folder) in err, err
    assert snapshot(user_folder) == before


def test_generate_replaces_only_its_own_folder(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    generate(out, seed=5, cities=["Dijon"], days="2019-04-01", scale=60)
    (out / "stale.txt").write_text("from before")
    generate(out, seed=5, cities=["Dijon"], days="2019-04-01", scale=60)  # its own folder: replaced
    assert not (out / "stale.txt").exists() and (out / GENERATED_MARKER).exists()
