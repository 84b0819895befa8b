"""Read what the report needs from the warehouse; absent optional tables come back as None."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

# Columns never shown: run bookkeeping and anything that could locate a tile or a point.
HIDDEN_COLUMNS = {"run_at", "parameters", "seed"}
FORBIDDEN_COLUMN_PARTS = ("tile", "geom", "lon", "lat", "coord", "centroid", "wkb")


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables and views of the connection's main schema."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = current_schema()"
    ).fetchall()
    return {r[0] for r in rows}


def read_table(con: duckdb.DuckDBPyConnection, name: str, present: set[str]) -> pd.DataFrame | None:
    """The whole table `name`, or None when the warehouse does not hold it."""
    if name not in present:
        return None
    return con.execute(f'select * from "{name}"').df()


def displayable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without bookkeeping columns and without any tile or coordinate column."""
    keep = [
        c for c in frame.columns
        if c not in HIDDEN_COLUMNS and not any(part in c.lower() for part in FORBIDDEN_COLUMN_PARTS)
    ]
    return frame[keep]


def analysis_tables(con: duckdb.DuckDBPyConnection, present: set[str]) -> dict[str, pd.DataFrame]:
    """Every analysis_* table, keyed by its name without the prefix."""
    return {
        name.removeprefix("analysis_"): con.execute(f'select * from "{name}"').df()
        for name in sorted(present)
        if name.startswith("analysis_")
    }


def analysis_run_info(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """When the analysis ran and on which source, from the bookkeeping columns of any analysis table."""
    for frame in tables.values():
        if len(frame) and "parameters" in frame.columns:
            params = json.loads(frame["parameters"].iloc[0])
            return {"run_at": str(frame["run_at"].iloc[0])[:19], "source": str(params.get("source", "?"))}
    return {}


def commune_shapes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per study commune: city, cpc per 1000, the small-population flag and the polygon as GeoJSON."""
    return con.execute(
        """
        select s.city, s.commune_code, s.commune_name, s.cpc_per_1000, s.is_small_population,
               ST_AsGeoJSON(g.commune_geom) as geojson
        from commune_summary s
        inner join stg_ign__communes g using (commune_code)
        order by s.city, s.commune_code
        """
    ).df()


def top_tile_counts(con: duckdb.DuckDBPyConnection, present: set[str]) -> pd.DataFrame | None:
    """Per service: how many top tiles and how many places inside them (counts only, no ids)."""
    if not {"int_tiles__top_traffic", "int_tiles__top_tile_places"} <= present:
        return None
    return con.execute(
        """
        select t.service,
               count(distinct t.city || '/' || t.tile_id) as n_top_tiles,
               count(distinct t.commune_code) as n_communes,
               count(distinct p.place_id) as n_places,
               count(distinct p.category) as n_categories
        from int_tiles__top_traffic t
        left join int_tiles__top_tile_places p on p.city = t.city and p.tile_id = t.tile_id
        group by t.service
        order by t.service
        """
    ).df()


def implied_scaling(con: duckdb.DuckDBPyConnection) -> float | None:
    """s_onion × s_csam as the warehouse applied it: median of c / rho' over communes."""
    row = con.execute(
        "select median(c / rho_prime) from commune_summary where rho_prime > 0 and c is not null"
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])
