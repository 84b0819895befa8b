"""DuckDB connections with the spatial extension, installed from its PyPI wheel (no download)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from netmob_tor.paths import extension_dir


def spatial_extension_file() -> Path:
    """The spatial.duckdb_extension shipped by the duckdb-extension-spatial wheel."""
    import duckdb_extension_spatial  # the wheel's package; its folder holds the binary

    root = Path(duckdb_extension_spatial.__file__).parent
    found = sorted(root.rglob("spatial.duckdb_extension"))
    if not found:
        raise FileNotFoundError(f"spatial.duckdb_extension not found under {root}")
    return found[0]


def install_spatial(ext_dir: Path | None = None) -> Path:
    """Install the spatial extension from the wheel into the project's extension directory."""
    ext_dir = ext_dir or extension_dir()
    ext_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(ext_dir)})
    con.execute(f"install '{spatial_extension_file()}'")
    con.execute("load spatial")
    con.close()
    return ext_dir


def connect(database: str | Path = ":memory:", read_only: bool = False, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with spatial loaded; installs the extension from the wheel on first use."""
    config: dict[str, str | int] = {"extension_directory": str(extension_dir())}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(str(database), read_only=read_only, config=config)
    try:
        con.execute("load spatial")
    except duckdb.Error:
        install_spatial()
        con.execute("load spatial")
    return con


def use_schema(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Make `schema` the default for reads and writes, falling back to `main` for what it lacks.

    A second processing profile is built into `main_<profile_schema>` (dbt var) beside the main
    schema's loaded traffic and staging models; this points a connection at it.
    """
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"schema {schema!r} is not a plain identifier")
    database = con.execute("select current_database()").fetchone()[0]
    found = con.execute(
        "select count(*) from information_schema.schemata where catalog_name = ? and schema_name = ?", [database, schema]
    ).fetchone()[0]
    if not found:
        raise ValueError(f"schema {schema!r} is not in {database}: build it with dbt's profile_schema var first")
    con.execute(f'use "{database}"."{schema}"')
    con.execute(f"set search_path = '{database}.{schema},{database}.main'")
