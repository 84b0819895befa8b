"""Headline figures of a built warehouse, printed by `make demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


TABLE2_LABELS = {"log_cpc_per_1000": "log cpc per 1000", "log_tor_per_1000": "log Tor per 1000",
                 "log_web_adult_per_1000": "log Web_Adult per 1000", "log_youtube_per_1000": "log YouTube per 1000"}


def table2_lines(con: Any) -> list[str]:
    """Table 2 of this warehouse (analysis_correlations, from `netmob-tor analyze`) beside the published values."""
    from netmob_tor import published

    found = con.execute("select count(*) from information_schema.tables where table_schema = 'main' "
                        "and table_name = 'analysis_correlations'").fetchone()[0]
    ours = dict(con.execute("select predictor, (rho, n) from analysis_correlations").fetchall()) if found else {}
    lines = ["Table 2 (Spearman rho of the commune sexual-violence rate with each log rate per 1000):",
             f"  {'predictor':<24}{'this warehouse':>22}{'published (Koebe et al. 2024)':>32}"]
    for predictor, label in TABLE2_LABELS.items():
        rho, n = ours.get(predictor, (None, None))
        mine = "not computed" if rho is None or rho != rho else f"{rho:.3f} (n = {n})"
        lines.append(f"  {label:<24}{mine:>22}{f'{published.TABLE2[predictor][0]:.3f} (n = {published.TABLE2_N})':>32}")
    if not found:
        lines.append("  (run `netmob-tor analyze` to fill this warehouse's column)")
    return lines


def headline(database: Path, report: Path | None = None) -> str:
    """The demo's last block: the data source in words, Table 2 beside the published values, the report's and
    the warehouse's paths, the marts' headline figures and three next commands."""
    con = open_warehouse(database)
    try:
        require_tables(con, ("commune_summary", "commune_hour"), database)
        source = read_data_source(con)
        row = con.execute(HEADLINE_SQL).df().iloc[0]
        n_hours = con.execute("select count(*) from commune_hour").fetchone()[0]
        table2 = table2_lines(con)
    finally:
        con.close()
    report_line = (f"report: {report} (open it in a browser)" if report and report.exists()
                   else "report: not written yet (netmob-tor report)")
    lines = [
        source_line(source),
        *table2,
        report_line,
        f"warehouse: {database} (processing profile: {row.processing_profile}; the corrected and preprint profiles beside it: "
        "netmob-tor profiles)",
        f"commune_summary: {int(row.n_communes)} communes in {int(row.n_cities)} urban areas, {int(row.n_assigned_tiles):,} tiles "
        f"assigned; commune_hour: {n_hours:,} rows; {int(row.n_rho_floored)} communes with rho floored; mean c {row.mean_c:.6f}",
        f"{int(row.n_small_population)} communes under the small-population threshold are flagged (is_small_population).",
        set_aside_line(int(row.n_set_aside_communes), row.set_aside_communes),
        "next:",
        "  .venv/bin/netmob-tor sql \"select commune_name, city, cpc_per_1000 from commune_summary order by 3 desc limit 10\"",
        "  .venv/bin/netmob-tor profiles                 # Table 2 under each processing profile, beside the paper",
        "  make build DATA_ROOT=/path/to/netmob          # your own NetMob files (docs/real-data.md)",
        CAUTION,
    ]
    return "\n".join(lines)
