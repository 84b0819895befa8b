"""Raw synthetic files -> dbt -> analysis: Table 2 lands on the published one (the embedded data
are calibrated to the release), and the CLI stores its tables in the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from netmob_tor.analysis.run import analyze
from netmob_tor.cli import main
from netmob_tor.duck import connect

PUBLISHED_TABLE2 = {
    "log_youtube_per_1000": 0.178,
    "log_web_adult_per_1000": 0.161,
    "log_tor_per_1000": 0.237,
    "log_cpc_per_1000": 0.284,
}


def test_table2_end_to_end_matches_published(warehouse: duckdb.DuckDBPyConnection) -> None:
    table2 = analyze(warehouse, "warehouse")["correlations"].set_index("predictor")
    for predictor, published in PUBLISHED_TABLE2.items():
        assert table2.loc[predictor, "n"] == 731
        assert abs(table2.loc[predictor, "rho"] - published) <= 0.02, (predictor, table2.loc[predictor, "rho"])


def test_analyze_cli_writes_tables(tmp_path: Path, warehouse: duckdb.DuckDBPyConnection) -> None:
    copy = tmp_path / "wh.duckdb"
    summary = warehouse.execute("select * from commune_summary").df()
    con = connect(copy)
    con.register("built_summary", summary)
    con.execute("create table commune_summary as select * from built_summary")
    con.close()
    assert main(["analyze", "--database", str(copy)]) == 0
    assert main(["analyze", "--source", "released", "--database", str(copy)]) == 0
    con = connect(copy, read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"analysis_correlations", "analysis_released_correlations", "analysis_correction_factor_summary"} <= tables
    n, source = con.execute("select count(*), any_value(parameters::json->>'source') from analysis_released_correlations").fetchone()
    assert n == 4 and source == "released"
