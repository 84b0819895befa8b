"""Raw synthetic files -> dbt -> analysis: under the study profile Table 2 and Table 1's c row land
on the published ones (a calibration check: the embedded data are calibrated to the release under
that profile; the independent check of the rules is tests/test_oracle_profiles.py), the other
profiles built beside it are reported and differ, and the CLI stores its tables in the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from netmob_tor import loaders, published
from netmob_tor.analysis.run import table1_table2
from netmob_tor.cli import main
from netmob_tor.duck import connect, use_schema
from netmob_tor.paths import default_database

PUBLISHED_TABLE2 = {
    "log_youtube_per_1000": 0.178,
    "log_web_adult_per_1000": 0.161,
    "log_tor_per_1000": 0.237,
    "log_cpc_per_1000": 0.284,
}


def test_table2_end_to_end_matches_published(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Study profile: Table 2 as printed (3 decimals) and Table 1's c row as printed (4 decimals; max 0.002)."""
    tables = table1_table2(loaders.commune_summary(warehouse))
    table2 = tables["correlations"].set_index("predictor")
    for predictor, rho in PUBLISHED_TABLE2.items():
        assert table2.loc[predictor, "n"] == published.TABLE2_N
        assert round(table2.loc[predictor, "rho"], 3) == rho, (predictor, table2.loc[predictor, "rho"])
    c_row = tables["correction_factor_summary"].set_index("variable").loc["c"]
    for stat, value in published.TABLE1_C.items():
        digits = 3 if stat == "max" else 4
        assert round(c_row[stat], digits) == value, (stat, c_row[stat])
    assert c_row["n_floored"] == published.N_FLOORED


def profile_tables(schema: str) -> tuple[str, dict]:
    """The profile recorded by `schema`'s commune_summary and its Table 1-2 analysis (own read-only connection)."""
    con = connect(default_database(), read_only=True)
    try:
        use_schema(con, schema)
        profile = con.execute("select distinct processing_profile from commune_summary").fetchall()
        return profile, table1_table2(loaders.commune_summary(con))
    finally:
        con.close()


@pytest.mark.parametrize(("schema", "profile"), [("main_corrected", "corrected"), ("main_preprint", "study+custom")])
def test_other_profiles_are_built_beside_and_differ(warehouse: duckdb.DuckDBPyConnection, schema: str, profile: str) -> None:
    """make build adds the corrected profile and the preprint's correction beside the study profile; their cpc rows differ."""
    recorded, tables = profile_tables(schema)
    assert recorded == [(profile,)]
    study = table1_table2(loaders.commune_summary(warehouse))
    cpc = {name: t["correlations"].set_index("predictor").loc["log_cpc_per_1000"] for name, t in (("study", study), ("other", tables))}
    assert cpc["other"]["n"] == cpc["study"]["n"] == published.TABLE2_N
    assert abs(cpc["other"]["rho"] - cpc["study"]["rho"]) > 1e-4
    study_c = study["correction_factor_summary"].set_index("variable").loc["c"]
    other_c = tables["correction_factor_summary"].set_index("variable").loc["c"]
    assert other_c["n_floored"] != study_c["n_floored"]


def test_analyze_cli_writes_tables_and_printed_file(tmp_path: Path) -> None:
    """`netmob-tor analyze --source released` stores analysis_released_* and writes the printed tables."""
    copy = tmp_path / "wh.duckdb"
    connect(copy).close()
    assert main(["analyze", "--source", "released", "--database", str(copy), "--tables-dir", str(tmp_path)]) == 0
    con = connect(copy, read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"analysis_released_correlations", "analysis_released_correction_factor_summary", "analysis_released_pca_loadings"} <= tables
    n, source = con.execute("select count(*), any_value(parameters::json->>'source') from analysis_released_correlations").fetchone()
    assert n == 4 and source == "released"
    printed = (tmp_path / "analysis_released.txt").read_text()
    assert "Table 2" in printed and "0.284" in printed and "no individual or causal meaning" in printed


ALL_WAREHOUSE_TABLES = {
    "correction_factor_summary", "cpc_range_summary", "correlations", "dependent_correlation_tests",
    "pca_loadings", "pca_explained_variance", "pca_region_scores", "pca_department_scores",
    "regression_input", "regressions", "mixed_model", "morans_i", "bootstrap_rho", "bootstrap_correlations", "not_computed",
}


def test_analyze_all_warehouse_every_table(tmp_path: Path, warehouse: duckdb.DuckDBPyConnection) -> None:
    """Every table from the built warehouse, stored with run_at and parameters; the report prints them."""
    from netmob_tor.analysis.regressions import MODELS
    from netmob_tor.analysis.report import format_report
    from netmob_tor.analysis.run import all_parameters, analyze_all, write_tables

    options = {"replicates": 4, "permutations": 49}
    tables = analyze_all(warehouse, "warehouse", **options)
    assert set(tables) == ALL_WAREHOUSE_TABLES
    assert tables["not_computed"].empty  # the embedded default supports every table
    regressions = tables["regressions"]
    assert set(regressions["model"]) == {m.name for m in MODELS}
    main = regressions[(regressions["model"] == "main")]
    assert main["n"].nunique() == 1 and main["n"].iloc[0] > 300
    assert main.groupby("direction")["variable"].count().eq(20).all()  # 18 controls + intercept + the other side
    assert (tables["morans_i"]["n"] == main["n"].iloc[0]).all()
    assert tables["bootstrap_rho"]["commune_code"].is_unique and len(tables["bootstrap_rho"]) == 1341
    boot = tables["bootstrap_correlations"].set_index("predictor")
    assert (boot["ci_low"] <= boot["ci_high"]).all()
    report = format_report(tables)
    assert "Table 3" in report and "Moran" in report and "no individual or causal meaning" in report
    con = connect(tmp_path / "out.duckdb")
    write_tables(con, {name: tables[name] for name in ("regressions", "morans_i")}, all_parameters("warehouse", **options))
    n, replicates = con.execute("select count(*), any_value(parameters::json->'bootstrap'->>'replicates') from analysis_regressions").fetchone()
    assert n == len(regressions) and replicates == "4"


def test_analyze_all_paper_mode_tables_1_2_pca(tmp_path: Path) -> None:
    """Paper mode: Tables 1, 2 and the PCA only, stored with the released_ prefix."""
    from netmob_tor.analysis.report import format_report
    from netmob_tor.analysis.run import analyze_and_store

    con = connect(tmp_path / "paper.duckdb")
    tables = analyze_and_store(con, "released")
    assert "regressions" not in tables and {"pca_loadings", "pca_department_scores", "correlations"} <= set(tables)
    stored = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {f"analysis_released_{name}" for name in tables} <= stored
    assert "census and election inputs" in format_report(tables)
