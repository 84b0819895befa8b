"""Where the project keeps things: found from the package location, overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The project folder (holding dbt_project.yml), or NETMOB_TOR_HOME when set."""
    env = os.environ.get("NETMOB_TOR_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    """The vendored real reference data (see reference/PROVENANCE.md)."""
    return project_root() / "reference"


def seeds_dir() -> Path:
    """dbt seeds: small reference tables and study parameters shared with the generator."""
    return project_root() / "seeds"


def default_data_root() -> Path:
    """Where the embedded synthetic dataset is generated, unless NETMOB_TOR_DATA_ROOT says otherwise."""
    return Path(os.environ.get("NETMOB_TOR_DATA_ROOT", project_root() / "data" / "embedded"))


def default_database() -> Path:
    """The warehouse DuckDB file dbt writes (NETMOB_TOR_DB overrides, as in profiles.yml)."""
    env = os.environ.get("NETMOB_TOR_DB")
    path = Path(env) if env else Path("warehouse/netmob_tor.duckdb")
    return path if path.is_absolute() else project_root() / path


def extension_dir() -> Path:
    """DuckDB extension directory inside the project, so nothing touches the user's home."""
    env = os.environ.get("NETMOB_TOR_EXTENSION_DIR")
    path = Path(env) if env else Path(".duckdb/extensions")
    return path if path.is_absolute() else project_root() / path
