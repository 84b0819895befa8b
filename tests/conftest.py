"""Shared fixtures: the built warehouse (make build) and its data root."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from netmob_tor.duck import connect
from netmob_tor.paths import default_data_root, default_database, landing_path, project_root

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def warehouse() -> duckdb.DuckDBPyConnection:
    """Read-only connection to the warehouse built by `make build` on the embedded default."""
    path = default_database()
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make build` (make test does) before the end-to-end tests")
    os.chdir(project_root())  # staging views read the raw files by paths relative to the project
    con = connect(path, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def landing(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the warehouse's landing (the tile-day table and its ledger, in their own file)."""
    con = connect(landing_path(default_database()), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The embedded default's raw files."""
    root = default_data_root()
    if not (root / ".complete").exists():
        pytest.fail(f"{root} has no complete generated dataset: run `make data`")
    return root


def run_dbt(data_root: Path, database: Path, work: Path, select: list[str], variables: dict[str, object], *extra: str) -> subprocess.CompletedProcess:
    """`dbt build` of a selection into its own database, target and log folders (not the warehouse).

    Every var is passed as JSON (a path holding an apostrophe included), which dbt reads as YAML.
    """
    env = {**os.environ, "NETMOB_TOR_DB": str(database), "DBT_PROFILES_DIR": str(project_root())}
    pairs = ", ".join(f"{k}: {json.dumps(v)}" for k, v in {"data_root": str(data_root), **variables}.items())
    cmd = [
        str(project_root() / ".venv" / "bin" / "dbt"), "--no-use-colors", "build", "--quiet", "--select", *select,
        "--exclude", "test_type:unit", "--indirect-selection", "cautious", "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", "{" + pairs + "}", *extra,
    ]
    return subprocess.run(cmd, cwd=project_root(), env=env, capture_output=True, text=True)


@pytest.fixture
def dbt_build() -> Callable[..., subprocess.CompletedProcess]:
    """Run `dbt build` on a separate database (see run_dbt)."""
    return run_dbt
