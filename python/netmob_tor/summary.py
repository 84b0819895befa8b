"""Headline figures of a built warehouse, printed by `make demo`."""

from __future__ import annotations

from pathlib import Path

from netmob_tor import CAUTION
from netmob_tor.duck import open_warehouse, require_tables
from netmob_tor.provenance import read_data_source, source_line

HEADLINE_SQL = """
select
    count(*) as n_communes,
    count(distinct city) as n_cities,
    sum(n_tiles) as n_assigned_tiles,
    count(*) filter (where is_rho_floored) as n_rho_floored,
    avg(rho) as mean_rho,
    avg(c) as mean_c,
    avg(cpc_per_1000) as mean_cpc_per_1000,
    max(cpc_per_1000) as max_cpc_per_1000,
    arg_max(commune_name || ' (' || commune_code || ', ' || city || ')', cpc_per_1000) as max_cpc_commune,
    count(*) filter (where is_small_population) as n_small_population,
    count(*) filter (where has_set_aside_lines) as n_set_aside_communes,
    string_agg(commune_name || ' (' || commune_code || ', ' || n_lines_set_aside || ' lines: ' || set_aside_reasons || ')', '; '
               order by n_lines_set_aside desc, commune_code) filter (where has_set_aside_lines) as set_aside_communes,
    any_value(processing_profile) as processing_profile
from commune_summary
"""


def set_aside_line(n_communes: int, communes: str | None, shown: int = 10) -> str:
    """The communes whose traffic lines were set aside (has_set_aside_lines), the first `shown` named."""
    if not n_communes:
        return "data quality: no traffic line of a study commune's tiles was set aside."
    named = "; ".join(communes.split("; ")[:shown]) + ("; ..." if n_communes > shown else "")
    return f"data quality: {n_communes} communes have traffic lines set aside (has_set_aside_lines; see traffic_quarantine): {named}"


def headline(database: Path) -> str:
    """A short text: the data source in words, the warehouse path and the marts' headline figures."""
    con = open_warehouse(database)
    try:
        require_tables(con, ("commune_summary", "commune_hour"), database)
        source = read_data_source(con)
        row = con.execute(HEADLINE_SQL).df().iloc[0]
        n_hours = con.execute("select count(*) from commune_hour").fetchone()[0]
    finally:
        con.close()
    lines = [
        source_line(source),
        f"warehouse: {database} (processing profile: {row.processing_profile}; others: netmob-tor profiles)",
        f"commune_hour: {n_hours:,} rows; commune_summary: {int(row.n_communes)} communes in {int(row.n_cities)} urban areas, "
        f"{int(row.n_assigned_tiles):,} tiles assigned",
        f"rho (ln Web_Adult vs ln Tor, hourly): mean {row.mean_rho:.4f}; {int(row.n_rho_floored)} communes floored; mean c {row.mean_c:.6f}",
        f"cpc per 1000: mean {row.mean_cpc_per_1000:,.0f}, max {row.max_cpc_per_1000:,.0f} in {row.max_cpc_commune}",
        f"{int(row.n_small_population)} communes under the small-population threshold are flagged (is_small_population).",
        set_aside_line(int(row.n_set_aside_communes), row.set_aside_communes),
        "Query: .venv/bin/netmob-tor sql \"select commune_name, city, cpc_per_1000 from commune_summary order by 3 desc limit 10\"",
        CAUTION,
    ]
    return "\n".join(lines)
