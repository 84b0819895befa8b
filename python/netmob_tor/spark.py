"""The Spark target's hand-offs with DuckDB: the inputs only DuckDB builds, out as Parquet; the Spark marts, in for the statistics.

dbt's `spark` target (profiles.yml) builds the traffic part of the DAG (selector `spark_traffic`) on
Apache Spark. What it cannot build there (the spatial tile -> commune crosswalk, the commune
attributes, crime rates and controls) DuckDB builds, and `netmob-tor export-duckdb-inputs` writes
those models as the Parquet files of dbt source `duckdb_exports` (its YAML lists them, the columns
left out, and the file layout; var `duckdb_exports_dir` is the folder). Spark writes its tables as
Parquet under its warehouse folder (`<schema>.db/<model>/part-*.parquet`); `netmob-tor analyze
--from-parquet DIR` loads the marts found there into a schema of the DuckDB warehouse and runs the
statistical layer on them (`load_spark_marts`). docs/scaling-out.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from netmob_tor import CAUTION
from netmob_tor.cli_help import HelpFormatter
from netmob_tor.duck import connect
from netmob_tor.loaders import COMMUNE_BOUNDARIES, COMMUNE_HOUR, COMMUNE_POI, COMMUNE_SUMMARY, SEARCH_TRENDS
from netmob_tor.params import STUDY_PARAMETERS_TABLE, study_parameters
from netmob_tor.paths import default_database, project_root

EXPORT_SOURCE = "duckdb_exports"
EXPORT_SOURCE_YAML = Path("models/staging/duckdb_exports/_duckdb_exports__sources.yml")
# The Spark marts the statistical layer reads, and the DuckDB marts it reads beside them (their
# traffic columns are the commune names and populations only; POIs, trends and polygons are not
# built on Spark).
SPARK_MARTS = (COMMUNE_SUMMARY, COMMUNE_HOUR, STUDY_PARAMETERS_TABLE)
DUCKDB_MARTS = (COMMUNE_POI, COMMUNE_BOUNDARIES, SEARCH_TRENDS)


@dataclass(frozen=True)
class ExportTable:
    """One table of source duckdb_exports: the DuckDB model of that name, the columns left out, its file."""

    name: str
    exclude: tuple[str, ...]
    file: str


def export_tables(root: Path | None = None) -> list[ExportTable]:
    """The tables of source duckdb_exports as its YAML declares them (the one home of the list and the layout)."""
    path = (root or project_root()) / EXPORT_SOURCE_YAML
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == EXPORT_SOURCE]
    layout = source["config"]["meta"]["path"]
    return [
        ExportTable(t["name"], tuple(((t.get("config") or {}).get("meta") or {}).get("exclude", [])), layout.replace("{name}", t["name"]))
        for t in source["tables"]
    ]


def exports_dir() -> Path:
    """Var duckdb_exports_dir (dbt_project.yml), relative to the project unless absolute."""
    path = Path(str(study_parameters()["duckdb_exports_dir"]))
    return path if path.is_absolute() else project_root() / path


def relation_schema(con: duckdb.DuckDBPyConnection, name: str, schema: str) -> str:
    """`schema` if it holds relation `name`, else `main` (a profile schema holds only the profile-dependent models)."""
    for candidate in dict.fromkeys((schema, "main")):
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [candidate, name]
        ).fetchone()[0]
        if found:
            return candidate
    raise ValueError(
        f"{name} is not in the DuckDB warehouse (schema {schema} or main): build it first, e.g. "
        f"`dbt build --select +{name}` with the vars the Spark build will use"
    )


def export_duckdb_inputs(con: duckdb.DuckDBPyConnection, out_dir: Path, schema: str = "main") -> list[Path]:
    """Write each table of source duckdb_exports from the DuckDB warehouse as one Parquet file in `out_dir`, rows sorted."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table in export_tables():
        where = relation_schema(con, table.name, schema)
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
            [where, table.name],
        ).fetchall()]
        missing = [c for c in table.exclude if c not in columns]
        if missing:
            raise ValueError(f"{where}.{table.name} has no column {', '.join(missing)} (source {EXPORT_SOURCE}: meta.exclude)")
        kept = ", ".join(f'"{c}"' for c in columns if c not in table.exclude)
        target = out_dir / table.file
        con.execute(f"copy (select {kept} from \"{where}\".\"{table.name}\" order by all) to '{target}' (format parquet)")
        written.append(target)
    return written


def spark_mart_files(parquet_dir: Path, name: str) -> str | None:
    """The Parquet glob of Spark table `name` under a Spark schema folder (`<name>/part-*.parquet`), or None."""
    folder = parquet_dir / name
    return str(folder / "*.parquet") if folder.is_dir() and any(folder.glob("*.parquet")) else None


def load_spark_marts(con: duckdb.DuckDBPyConnection, parquet_dir: Path, schema: str) -> list[str]:
    """Make `schema` hold the Spark marts of `parquet_dir` as tables and views of the DuckDB marts Spark does not build."""
    if not schema.replace("_", "").isalnum() or schema == "main":
        raise ValueError(f"schema {schema!r}: a plain identifier other than main")
    missing = [name for name in SPARK_MARTS if spark_mart_files(parquet_dir, name) is None]
    if missing:
        raise FileNotFoundError(f"{parquet_dir} has no Spark table {', '.join(missing)} (<name>/part-*.parquet): build them with "
                                "`dbt run --target spark --selector spark_traffic`")
    con.execute(f'create schema if not exists "{schema}"')
    for name in SPARK_MARTS:
        con.execute(f"create or replace table \"{schema}\".\"{name}\" as select * from read_parquet('{spark_mart_files(parquet_dir, name)}')")
    for name in DUCKDB_MARTS:
        found = con.execute("select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?", [name]).fetchone()[0]
        if found:
            con.execute(f'create or replace view "{schema}"."{name}" as select * from main."{name}"')
    return [*SPARK_MARTS, *DUCKDB_MARTS]


SELECTOR = "spark_traffic"


def spark_env(warehouse: Path, master: str = "local[2]", driver_memory: str = "2g") -> dict[str, str]:
    """The environment of a Spark build (profiles.yml target `spark`): its own warehouse and metastore, master, driver memory."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(project_root()),
        "NETMOB_TOR_SPARK_WAREHOUSE": str(warehouse),
        "NETMOB_TOR_SPARK_MASTER": master,
        "NETMOB_TOR_SPARK_DRIVER_MEMORY": driver_memory,
    }


def spark_build_command(data_root: Path, exports: Path, work: Path, variables: dict[str, Any] | None = None) -> list[str]:
    """`dbt build --target spark --selector spark_traffic`, seeds and models only (dbt's data tests run on the DuckDB
    build), with data_root, duckdb_exports_dir and `variables` as vars and the artefacts under `work`."""
    pairs = {"data_root": str(data_root), "duckdb_exports_dir": str(exports), **(variables or {})}
    return [
        str(Path(sys.executable).parent / "dbt"), "--no-use-colors", "build", "--target", "spark", "--selector", SELECTOR,
        "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--vars", json.dumps(pairs),
    ]


def main_export_inputs(argv: Sequence[str] | None = None) -> int:
    """`netmob-tor export-duckdb-inputs`: the Parquet files the Spark target reads (source duckdb_exports)."""
    parser = argparse.ArgumentParser(
        prog="netmob-tor export-duckdb-inputs",
        description="Write what only DuckDB builds (source duckdb_exports: the tile -> commune crosswalk, commune attributes, "
                    "crime rates, controls) as Parquet for the Spark target. " + CAUTION,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--database", default=str(default_database()), help="the DuckDB warehouse that built those models")
    parser.add_argument("--out", default=None, help="output folder (default: var duckdb_exports_dir)")
    parser.add_argument("--schema", default="main",
                        help="the schema of the processing profile Spark will build (main_<profile_schema>); main for the rest")
    args = parser.parse_args(argv)
    con = connect(args.database, read_only=True)
    try:
        written = export_duckdb_inputs(con, Path(args.out) if args.out else exports_dir(), args.schema)
    finally:
        con.close()
    for path in written:
        print(f"wrote {path}")
    return 0
