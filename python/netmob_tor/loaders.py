"""Every query that feeds the statistics and the report: marts in, DataFrames out.

Python reads marts only (commune_summary, commune_hour, commune_poi, commune_boundaries,
region_search_trends, top_tile_summary, heatmap_weekday_hour, national_context, poi_top_tiles and
the analysis_* tables it stores itself); the statistical functions take what these return. One
module at package level, not inside `analysis/`, because the report reads the warehouse too: a
reader finds in one file which relations Python depends on, and a mart's rename is one edit here.
Each function reads the connection's current schema (see `duck.use_schema` for a second profile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

COMMUNE_SUMMARY = "commune_summary"
COMMUNE_HOUR = "commune_hour"
COMMUNE_POI = "commune_poi"
COMMUNE_BOUNDARIES = "commune_boundaries"
SEARCH_TRENDS = "region_search_trends"
TOP_TILE_SUMMARY = "top_tile_summary"
CITY_TILE_COVERAGE = "city_tile_coverage"
# The study's statistics and the report read the study's communes only: every row under
# `commune_scope: study`, the rows with is_study_commune under `all`.
STUDY_SAMPLE = f"(select * from {COMMUNE_SUMMARY} where is_study_commune)"


# --- the statistical layer ------------------------------------------------------------------------

def commune_summary(con: duckdb.DuckDBPyConnection, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """commune_summary: every column, or `columns` in that order."""
    selected = ", ".join(columns) if columns else "*"
    return con.execute(f"select {selected} from {STUDY_SAMPLE}").df()


def processing_profile(con: duckdb.DuckDBPyConnection) -> str:
    """The processing profile commune_summary was built with."""
    return con.execute(f"select any_value(processing_profile) from {COMMUNE_SUMMARY}").fetchone()[0]


def commune_poi(con: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> pd.DataFrame:
    """commune_poi: commune_code and `columns` (per-1000 place rates)."""
    return con.execute(f"select commune_code, {', '.join(columns)} from {COMMUNE_POI}").df()


def search_trends(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """region_search_trends, long: region_name, search_term_column (the raw export's column), popularity."""
    return con.execute(f"select region_name, search_term_column, popularity from {SEARCH_TRENDS}").df()


def commune_adjacency(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, centroids) of the communes `codes` from commune_boundaries.

    pairs: code_i < code_j whose polygons share a border or a corner (ST_Intersects);
    centroids: commune_code, lon, lat of each polygon's centroid.
    """
    geom = (
        f"with geom as (select commune_code, commune_geom as geom from {COMMUNE_BOUNDARIES} "
        "where commune_code in (select commune_code from _adjacency_codes)) "
    )
    con.register("_adjacency_codes", pd.DataFrame({"commune_code": list(codes)}))
    try:
        pairs = con.execute(
            geom + "select a.commune_code as code_i, b.commune_code as code_j from geom a join geom b "
            "on a.commune_code < b.commune_code and ST_Intersects(a.geom, b.geom) order by 1, 2"
        ).df()
        centroids = con.execute(
            geom + "select commune_code, ST_X(ST_Centroid(geom)) as lon, ST_Y(ST_Centroid(geom)) as lat from geom order by 1"
        ).df()
    finally:
        con.unregister("_adjacency_codes")
    return pairs, centroids


def hour_days(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """The local dates commune_hour holds, in order (the bootstrap's blocks)."""
    return [r[0] for r in con.execute(f"select distinct traffic_date from {COMMUNE_HOUR} order by 1").fetchall()]


# commune_hour's floored logs (ln_web_adult, ln_tor) are the ones the model's rho is computed on.
_HOURS = f"select commune_code, traffic_date, ln_web_adult, ln_tor, tor_dl, web_adult_dl, youtube_dl from {COMMUNE_HOUR}"

_REPLICATE_CORR_SQL = f"""
    with hours as ({_HOURS}),
    final as (
        select
            draws.replicate,
            hours.commune_code,
            corr(hours.ln_web_adult, hours.ln_tor) as rho,
            sum(hours.tor_dl) as tor_dl,
            sum(hours.web_adult_dl) as web_adult_dl,
            sum(hours.youtube_dl) as youtube_dl
        from _bootstrap_draws as draws
        inner join hours using (traffic_date)
        group by all
    )
    select * from final order by replicate, commune_code
"""

_REPLICATE_MOMENTS_SQL = f"""
    with hours as ({_HOURS}),
    centred as (
        select
            *,
            ln_web_adult - avg(ln_web_adult) over (partition by commune_code) as x,
            ln_tor - avg(ln_tor) over (partition by commune_code) as y
        from hours
    ),
    commune_days as (
        select
            commune_code, traffic_date, count(*) as n, sum(x) as sx, sum(y) as sy,
            sum(x * x) as sxx, sum(y * y) as syy, sum(x * y) as sxy,
            sum(tor_dl) as tor_dl, sum(web_adult_dl) as web_adult_dl, sum(youtube_dl) as youtube_dl
        from centred
        group by all
    ),
    sums as (
        select
            draws.replicate, days.commune_code,
            sum(n) as n, sum(sx) as sx, sum(sy) as sy, sum(sxx) as sxx, sum(syy) as syy, sum(sxy) as sxy,
            sum(tor_dl) as tor_dl, sum(web_adult_dl) as web_adult_dl, sum(youtube_dl) as youtube_dl
        from _bootstrap_draws as draws
        inner join commune_days as days using (traffic_date)
        group by all
    ),
    final as (
        select
            replicate,
            commune_code,
            case when (n * sxx - sx * sx) > 0 and (n * syy - sy * sy) > 0
                then (n * sxy - sx * sy) / sqrt((n * sxx - sx * sx) * (n * syy - sy * sy)) end as rho,
            tor_dl, web_adult_dl, youtube_dl
        from sums
    )
    select * from final order by replicate, commune_code
"""
REPLICATE_METHODS = {"corr": _REPLICATE_CORR_SQL, "moments": _REPLICATE_MOMENTS_SQL}


def replicate_commune_stats(con: duckdb.DuckDBPyConnection, draws: pd.DataFrame, method: str = "corr") -> pd.DataFrame:
    """Per replicate and commune of `draws` (replicate, traffic_date): rho = corr(ln Web_Adult, ln Tor) and DL totals.

    method 'corr': DuckDB's `corr` over the hours of the drawn days (a day drawn twice counts
    twice). method 'moments': the same correlation from per-(commune, day) sums of the centred
    logs, their squares and cross-products, added up over the drawn days; algebraically identical
    (tests check it to 1e-9) and about 30 times faster, for large numbers of replicates.
    """
    if method not in REPLICATE_METHODS:
        raise ValueError(f"method must be one of {sorted(REPLICATE_METHODS)}, not {method!r}")
    con.register("_bootstrap_draws", draws)
    try:
        return con.execute(REPLICATE_METHODS[method]).df()
    finally:
        con.unregister("_bootstrap_draws")


def analysed_profiles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Schema -> the processing profile its commune_summary records, for every schema with an analysed commune_summary (main first)."""
    rows = con.execute(
        """
        select table_schema from information_schema.tables
        where table_name = 'analysis_correlations' and table_catalog = current_database()
          and table_schema in (
              select table_schema from information_schema.tables
              where table_name = 'commune_summary' and table_catalog = current_database())
        order by table_schema = 'main' desc, table_schema
        """
    ).fetchall()
    return {
        schema: con.execute(f'select any_value(processing_profile) from "{schema}".{COMMUNE_SUMMARY}').fetchone()[0]
        for (schema,) in rows
    }


def profile_analysis(con: duckdb.DuckDBPyConnection, schema: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(Table 2: predictor, rho, n; Table 1's c row) as `netmob-tor analyze` stored them in `schema`."""
    table2 = con.execute(f'select predictor, rho, n from "{schema}".analysis_correlations').df()
    c_row = con.execute(f"""select * from "{schema}".analysis_correction_factor_summary where variable = 'c'""").df()
    return table2, c_row


# --- the report -----------------------------------------------------------------------------------

def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables and views of the connection's current schema."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = current_schema()"
    ).fetchall()
    return {r[0] for r in rows}


def read_table(con: duckdb.DuckDBPyConnection, name: str, present: set[str]) -> pd.DataFrame | None:
    """The whole table `name`, or None when the warehouse does not hold it."""
    if name not in present:
        return None
    return con.execute(f'select * from "{name}"').df()


def analysis_tables(con: duckdb.DuckDBPyConnection, present: set[str]) -> dict[str, pd.DataFrame]:
    """Every analysis_* table, keyed by its name without the prefix."""
    return {
        name.removeprefix("analysis_"): con.execute(f'select * from "{name}"').df()
        for name in sorted(present)
        if name.startswith("analysis_")
    }


def commune_shapes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per study commune: city, population, cpc per 1000, the small-population flag and the polygon as GeoJSON."""
    return con.execute(
        f"""
        select s.city, s.commune_code, s.commune_name, s.population, s.cpc_per_1000, s.is_small_population,
               ST_AsGeoJSON(g.commune_geom) as geojson
        from {STUDY_SAMPLE} s
        inner join {COMMUNE_BOUNDARIES} g using (commune_code)
        order by s.city, s.commune_code
        """
    ).df()


BOOTSTRAP_RHO = "analysis_bootstrap_rho"


def commune_cpc_intervals(con: duckdb.DuckDBPyConnection, present: set[str]) -> pd.DataFrame | None:
    """Per commune: the day-block bootstrap interval of cpc per 1000 (analysis_bootstrap_rho), or None when not stored.

    None too for a table stored before the interval was (no cpc_per_1000_ci_* columns): `netmob-tor analyze` adds them.
    """
    if BOOTSTRAP_RHO not in present:
        return None
    columns = {r[0] for r in con.execute(f"select column_name from (describe {BOOTSTRAP_RHO})").fetchall()}
    if not {"cpc_per_1000_ci_low", "cpc_per_1000_ci_high"} <= columns:
        return None
    return con.execute(
        f"select commune_code, cpc_per_1000_ci_low, cpc_per_1000_ci_high, level, replicates from {BOOTSTRAP_RHO} order by commune_code"
    ).df()


def top_tile_summary(con: duckdb.DuckDBPyConnection, present: set[str]) -> pd.DataFrame | None:
    """Per service: top tiles, their communes, places and categories (counts only, no ids), or None without the mart."""
    if TOP_TILE_SUMMARY not in present:
        return None
    return con.execute(
        f"select service, n_top_tiles, n_communes, n_places, n_categories from {TOP_TILE_SUMMARY} order by service"
    ).df()


def implied_scaling(con: duckdb.DuckDBPyConnection) -> float | None:
    """s_onion × s_csam as the warehouse applied it: median of c / rho' over communes."""
    row = con.execute(
        f"select median(c / rho_prime) from {STUDY_SAMPLE} where rho_prime > 0 and c is not null"
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def processing_description(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(processing_profile, processing_choices) commune_summary was built with."""
    return con.execute(
        f"select any_value(processing_profile), any_value(processing_choices) from {COMMUNE_SUMMARY}"
    ).fetchone()


def top_communes(con: duckdb.DuckDBPyConnection, n: int = 20) -> pd.DataFrame:
    """The `n` communes with the largest cpc per 1000 (ties by code)."""
    return con.execute(
        "select commune_name, commune_code, city, population, c, cpc_per_1000, is_small_population "
        f"from {STUDY_SAMPLE} where cpc_per_1000 is not null order by cpc_per_1000 desc, commune_code limit {int(n)}"
    ).df()


def n_small_population(con: duckdb.DuckDBPyConnection) -> int:
    """How many communes commune_summary flags as small populations."""
    return int(con.execute(f"select count(*) filter (where is_small_population) from {STUDY_SAMPLE}").fetchone()[0])


def profile_comparison(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """analysis_profile_comparison without its bookkeeping columns."""
    return con.execute("select * exclude (run_at, parameters, processing_profile) from analysis_profile_comparison").df()


def set_aside_communes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The communes whose traffic lines were set aside, most lines first: communes only."""
    return con.execute(
        "select commune_name as commune, commune_code as code, city, n_lines_set_aside as lines_set_aside, "
        "round(100 * share_lines_set_aside, 3) as pct_of_lines, set_aside_reasons as reasons "
        f"from {STUDY_SAMPLE} where has_set_aside_lines order by n_lines_set_aside desc, commune_code"
    ).df()


def city_tile_coverage(con: duckdb.DuckDBPyConnection, present: set[str]) -> pd.DataFrame | None:
    """Per city and service: tiles and download inside the sample's communes and outside them, or None without the mart."""
    if CITY_TILE_COVERAGE not in present:
        return None
    return con.execute(
        f"select city, service, n_tiles, n_tiles_outside, n_communes, share_dl_outside from {CITY_TILE_COVERAGE} "
        "order by city, service"
    ).df()
