"""analysis_sensitivity's builds on the embedded warehouse, checked by hand against the main build.

A small set of rows (the anomaly rule and s_onion 0.078) keeps it to four dbt builds in one session
on a private copy. The session's study-profile rebuild (`rebuild_study`; by default the row is read from the
main schema) must give the main build's Table 2 cpc rho
(computed here with pandas from commune_summary); s_onion 0.078 must scale every c that is not
floored by 0.078 / 0.011 and leave the floored ones at c_floor; the warehouse is left unchanged.
"""

from __future__ import annotations

import duckdb
import pytest

from netmob_tor.analysis import sensitivity
from netmob_tor.analysis.correlations import OUTCOME
from netmob_tor.paths import default_database

SETTINGS = {
    "sensitivity_variations": [{"choice": "anomaly_rule", "label": "drop days", "vars": {"anomaly_rule": "drop_days"}}],
    "s_onion_scenarios": [0.011, 0.078],
    "sensitivity_bootstrap_replicates": 20,
}


@pytest.fixture(scope="module")
def table(warehouse: duckdb.DuckDBPyConnection):
    return sensitivity.run(default_database(), settings=SETTINGS, rebuild_study=True).set_index("label")


def test_study_row_is_the_main_build(table, warehouse: duckdb.DuckDBPyConnection) -> None:
    main = warehouse.execute(f"select {OUTCOME} as sv, log_cpc_per_1000 as x, c from commune_summary where is_study_commune").df()
    cases = main.dropna(subset=["sv", "x"])
    assert table.loc["study profile", "rho"] == pytest.approx(cases["sv"].corr(cases["x"], method="spearman"), abs=1e-12)
    assert table.loc["study profile", "n"] == len(cases)
    assert table.loc["study profile", "mean_c"] == pytest.approx(main["c"].mean(), rel=1e-12)


def test_s_onion_scales_c_by_hand(table, warehouse: duckdb.DuckDBPyConnection) -> None:
    main = warehouse.execute("select c, is_rho_floored from commune_summary where is_study_commune").df()
    scaled = main["c"].where(main["is_rho_floored"], main["c"] * 0.078 / 0.011)
    assert table.loc["s_onion 0.078", "mean_c"] == pytest.approx(scaled.mean(), rel=1e-9)
    assert table.loc["s_onion 0.078", "n_floored"] == int(main["is_rho_floored"].sum())


def test_rows_are_complete_and_the_warehouse_untouched(table, warehouse: duckdb.DuckDBPyConnection) -> None:
    assert list(table.index[:3]) == ["study profile", "drop days", "s_onion 0.078"]
    assert table["ci_low"].le(table["rho"]).all() and table["rho"].le(table["ci_high"]).all()
    schemas = {r[0] for r in warehouse.execute("select schema_name from information_schema.schemata").fetchall()}
    assert sensitivity.SCHEMA not in schemas
    assert not list(default_database().parent.glob(f"{default_database().name}.{sensitivity.SCHEMA_SUFFIX}-*"))
