"""DuckDB connections with the spatial extension, installed from its PyPI wheel (no download)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from netmob_tor.errors import UserError
from netmob_tor.paths import extension_dir

# Set, in this order, on the connection of `netmob-tor sql` once spatial is loaded, then locked:
# DuckDB itself then refuses every file access (COPY TO, EXPORT, ATTACH, reading raw files),
# installing or loading an extension, and any further SET.
SANDBOX_SETTINGS = (
    ("autoinstall_known_extensions", "false"),
    ("autoload_known_extensions", "false"),
    ("allow_community_extensions", "false"),
    ("enable_external_access", "false"),
    ("lock_configuration", "true"),
)


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


def require_warehouse(database: str | Path) -> Path:
    """The warehouse file, or a UserError when it does not exist (a read command never creates one)."""
    path = Path(database)
    if not path.is_file():
        what = "is a folder, not a DuckDB file" if path.is_dir() else "does not exist"
        raise UserError(f"no warehouse at {path} ({what}): build it with `make build` (or pass --database)")
    return path


def require_writable(database: str | Path, command: str) -> Path:
    """The warehouse file when its folder takes new files (DuckDB writes a .wal beside it), else a UserError.

    Probed by creating and removing a temporary file there, which also catches what permission bits do not
    show (a read-only mount, an immutable folder, a root user).
    """
    path = require_warehouse(database)
    try:
        with tempfile.TemporaryFile(dir=path.parent, prefix=".netmob-tor-write-probe-"):
            pass
    except OSError as error:
        raise UserError(f"the warehouse folder {path.parent} is read-only ({error.strerror}), and `netmob-tor {command}` "
                        "stores tables in the warehouse: make the folder writable, or copy the warehouse to a writable "
                        "folder and pass --database") from error
    return path


def open_warehouse(database: str | Path, read_only: bool = True, command: str = "") -> duckdb.DuckDBPyConnection:
    """A connection to an existing warehouse (never creates one), spatial loaded; read-write only when its folder
    is writable (`command` names the command in the message). Unknown tables are not looked up among Python
    variables (DuckDB's replacement scans), so a missing table is named as such."""
    path = require_warehouse(database) if read_only else require_writable(database, command)
    con = connect(path, read_only=read_only)
    con.execute("set python_enable_replacements = false")
    return con


def require_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...], database: str | Path) -> None:
    """A UserError naming the tables of `names` in neither the connection's schema nor `main` (use_schema's fallback)."""
    present = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() "
        "and table_schema in (current_schema(), 'main')").fetchall()}
    missing = [n for n in names if n not in present]
    if missing:
        raise UserError(f"{database} has no table {', '.join(missing)}: build the marts with `make build` "
                        "(or pass the --database that holds them)")


def sandboxed(database: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection in which DuckDB itself forbids writing or reading files, attaching databases,
    installing or loading extensions and changing any setting (`netmob-tor sql`).

    Spatial is loaded first (its file is read once), then SANDBOX_SETTINGS are applied and the configuration
    locked. Temporary files of large queries go to a folder of the system's temporary directory, never beside
    the warehouse.
    """
    path = require_warehouse(database)
    spill = Path(tempfile.gettempdir()) / f"netmob-tor-sql-{os.getpid()}"
    config: dict[str, str | int] = {"extension_directory": str(extension_dir()), "temp_directory": str(spill)}
    con = duckdb.connect(str(path), read_only=True, config=config)
    try:
        con.execute("load spatial")
    except duckdb.Error:
        con.close()
        install_spatial()
        con = duckdb.connect(str(path), read_only=True, config=config)
        con.execute("load spatial")
    for name, value in SANDBOX_SETTINGS:
        con.execute(f"set {name} = {value}")
    return con


def use_schema(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Make `schema` the default for reads and writes, falling back to `main` for what it lacks.

    A second processing profile is built into `main_<profile_schema>` (dbt var) beside the main
    schema's loaded traffic and staging models; this points a connection at it.
    """
    if not schema.replace("_", "").isalnum():
        raise UserError(f"schema {schema!r} is not a plain identifier: give a name such as main_corrected")
    database = con.execute("select current_database()").fetchone()[0]
    found = con.execute(
        "select count(*) from information_schema.schemata where catalog_name = ? and schema_name = ?", [database, schema]
    ).fetchone()[0]
    if not found:
        raise UserError(f"schema {schema!r} is not in {database}: build it with dbt's profile_schema var first")
    con.execute(f'use "{database}"."{schema}"')
    con.execute(f"set search_path = '{database}.{schema},{database}.main'")


def attach_landing(con: duckdb.DuckDBPyConnection, database: str | Path) -> None:
    """Attach the warehouse's landing (its tile-day table and ledger) read-only as `landing`, for the views that read
    it (int_traffic__kept_tile_days). Only while no build runs: the landing is the build's to write."""
    from netmob_tor.paths import landing_path

    path = landing_path(Path(database).absolute())
    con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as landing (read_only)")
