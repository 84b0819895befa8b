"""Shared fixtures: the built warehouse (make build) and its data root."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from netmob_tor.duck import connect
from netmob_tor.paths import default_data_root, default_database, project_root

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
def data_root() -> Path:
    """The embedded default's raw files."""
    root = default_data_root()
    if not (root / ".complete").exists():
        pytest.fail(f"{root} has no complete generated dataset: run `make data`")
    return root
