"""Paper mode: the statistical layer run on the study's released aggregates reproduces its published figures.

Published figures are those of Koebe et al. (2024) as listed in docs/STUDY.md, compared at the
precision they were printed with. Exploratory area-level associations only.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from netmob_tor.analysis.correlations import validation_correlations
from netmob_tor.analysis.distribution import correction_factor_summary, cpc_range_summary
from netmob_tor.analysis.released import released_summary
from netmob_tor.analysis.report import format_report
from netmob_tor.analysis.run import all_parameters, summary_for, table1_table2, write_tables

# The commune_summary columns Tables 1 and 2 read.
SUMMARY_COLUMNS = ["commune_code", "city", "commune_name", "population", "rho", "c", "is_rho_floored", "tor_dl",
                   "cpc_per_1000", "sexual_violence_rate", "log_youtube_per_1000", "log_web_adult_per_1000",
                   "log_tor_per_1000", "log_cpc_per_1000"]

TABLE2 = {  # predictor: (rho, p-value), n = 731
    "log_youtube_per_1000": (0.178, 1.33e-06),
    "log_web_adult_per_1000": (0.161, 1.18e-05),
    "log_tor_per_1000": (0.237, 7.94e-11),
    "log_cpc_per_1000": (0.284, 4.99e-15),
}
TABLE1_RHO = {"mean": 0.1649, "std": 0.0750, "min": -0.0493, "p25": 0.1166, "p50": 0.1684, "p75": 0.2139, "max": 0.4971}
TABLE1_C = {"mean": 0.0008, "std": 0.0003, "min": 0.0000, "p25": 0.0005, "p50": 0.0008, "p75": 0.0010}


def significant(x: float, digits: int = 3) -> float:
    """x rounded to `digits` significant digits, as a p-value printed 1.33e-06."""
    return float(f"{x:.{digits - 1}e}")


@pytest.fixture(scope="module")
def released() -> pd.DataFrame:
    """The commune_summary-like frame of paper mode."""
    return released_summary()


def test_released_summary_shape(released: pd.DataFrame) -> None:
    """1341 communes, 14 floored with unknown rho, 731 commune-level sexual-violence rates, finite logs."""
    assert len(released) == 1341
    assert set(SUMMARY_COLUMNS) <= set(released.columns)
    assert int(released["is_rho_floored"].sum()) == 14
    assert released.loc[released["is_rho_floored"], "rho"].isna().all()
    assert released.loc[~released["is_rho_floored"], "rho"].notna().all()
    assert int(released["sexual_violence_rate"].notna().sum()) == 731
    logs = released[[c for c in SUMMARY_COLUMNS if c.startswith("log_")]]
    assert np.isfinite(logs.to_numpy()).all()


def test_table2_reproduces_exactly(released: pd.DataFrame) -> None:
    """Spearman rho to 3 decimals, p to 3 significant digits and n = 731, for all four predictors."""
    table = validation_correlations(released).set_index("predictor")
    for predictor, (rho, p_value) in TABLE2.items():
        assert round(table.loc[predictor, "rho"], 3) == rho
        assert significant(table.loc[predictor, "p_value"]) == p_value
        assert table.loc[predictor, "n"] == 731


def test_table2_needs_the_commune_only_rate(released: pd.DataFrame) -> None:
    """Other sv columns give other n: with the department fallback (sv_17_21) 1340, for 2019 alone 558; the study's 731 is sv_com_17_21."""
    fallback = validation_correlations(released, outcome="sexual_violence_rate_with_fallback")
    assert (fallback["n"] == 1340).all()
    assert round(fallback.set_index("predictor").loc["log_cpc_per_1000", "rho"], 3) != 0.284
    assert (validation_correlations(released, outcome="sexual_violence_rate_reference_year")["n"] == 558).all()


def test_format_table2_prints_the_published_rows(released: pd.DataFrame) -> None:
    """The paper's layout: label, rho, p-value, n."""
    text = format_report({"correlations": validation_correlations(released)})
    rows = [line.split() for line in text.splitlines()]
    for row in (
        ["log_YouTube_per_1000", "0.178", "1.33e-06", "731"],
        ["log_Web_Adult_per_1000", "0.161", "1.18e-05", "731"],
        ["log_Tor_per_1000", "0.237", "7.94e-11", "731"],
        ["log_cpc_per_1000", "0.284", "4.99e-15", "731"],
    ):
        assert row in rows
    assert "no individual or causal meaning" in text


def test_table1_c_reproduces(released: pd.DataFrame) -> None:
    """c: mean, std, min, quartiles to 4 decimals; max 0.002 as printed (3 decimals); 14 floored."""
    row = correction_factor_summary(released).set_index("variable").loc["c"]
    for stat, value in TABLE1_C.items():
        assert round(row[stat], 4) == value, stat
    assert round(row["max"], 3) == 0.002
    assert row["count"] == 1341 and row["n_floored"] == 14


def test_table1_rho_in_paper_mode_is_over_known_rho_only(released: pd.DataFrame) -> None:
    """Paper mode leaves the 14 negative rho unknown, so its rho row covers 1327 communes and differs."""
    row = correction_factor_summary(released).set_index("variable").loc["rho"]
    assert row["count"] == 1327
    assert row["min"] > 0
    assert round(row["p25"], 4) != TABLE1_RHO["p25"]


def test_table1_rho_quartiles_and_max_reproduce_from_rho_prime(released: pd.DataFrame) -> None:
    """The 14 floored communes lie below the first quartile either way, so rho' gives the published quartiles and max."""
    frame = released.assign(rho=released["rho_prime"])
    row = correction_factor_summary(frame).set_index("variable").loc["rho"]
    for stat in ("p25", "p50", "p75", "max"):
        assert round(row[stat], 4) == TABLE1_RHO[stat], stat


def test_table1_rho_mean_and_std_are_feasible(released: pd.DataFrame) -> None:
    """The unreleased 14 negative rho (in [-0.0493, 0), one equal to the min) can give the published mean and std.

    The mean fixes their sum; their spread is at most all-at-the-min, which bounds the std. Both
    printed values are attainable, but only near the low edge of the mean's rounding interval.
    """
    known = released["rho"].dropna().to_numpy()
    n, low = 1341, TABLE1_RHO["min"]
    attainable = False
    for mean in np.linspace(0.16485, 0.16495, 21)[:-1]:
        total = n * mean - known.sum()  # sum of the 14 unknown rho
        if not 14 * low <= total <= low:
            continue
        k = int(total // low)  # as many as possible at the min, one remainder, the rest at 0: largest spread
        widest = np.concatenate([known, [low] * k, [total - k * low], [0.0] * (13 - k)])
        tightest = np.concatenate([known, [low], [(total - low) / 13] * 13])
        std_range = (tightest.std(ddof=1), widest.std(ddof=1))
        if std_range[0] < 0.07505 and std_range[1] >= 0.07495:
            attainable = True
    assert attainable


def test_results_text_cpc_range(released: pd.DataFrame) -> None:
    """cpc per 1000: mean 3703, max 157,077 in Mondouzil (31352, Toulouse); '0 (14 communes)' are the floored ones.

    The max is 157,077.87: the text truncates it. 62 communes are below 0.5 per 1000 (print as 0),
    of which the 14 floored (c = 1e-5, printed 0.0000 in Table 1) are the ones the text counts.
    """
    row = cpc_range_summary(released).iloc[0]
    assert round(row["mean_cpc_per_1000"]) == 3703
    assert int(row["max_cpc_per_1000"]) == 157_077
    assert row["max_commune_code"] == "31352"
    assert row["max_commune_name"] == "Mondouzil" and row["max_city"] == "Toulouse"
    assert row["n_floored"] == 14
    assert row["max_cpc_per_1000_floored"] < 0.5
    assert row["n_print_zero"] == 62


def test_results_text_youtube_mean(released: pd.DataFrame) -> None:
    """YouTube per 1000: mean 3,743,939,828."""
    assert round(released["youtube_per_1000"].mean()) == 3_743_939_828


def test_tables_1_2_and_write_tables_in_memory(released: pd.DataFrame) -> None:
    """Tables 1-2 of the released source equal those of a warehouse holding the same frame; write_tables replaces analysis_<name> tables."""
    con = duckdb.connect(":memory:")
    tables = table1_table2(summary_for(con, "released"))
    assert set(tables) == {"correction_factor_summary", "cpc_range_summary", "correlations", "dependent_correlation_tests"}
    con.register("summary_frame", released[SUMMARY_COLUMNS])
    con.execute("create table commune_summary as select *, true as is_study_commune from summary_frame")
    from_warehouse = table1_table2(summary_for(con, "warehouse"))
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, from_warehouse[name])
    tests = tables["dependent_correlation_tests"]
    assert (tests["statistic"] > 0).all() and (tests["p_one_sided"] < 1e-9).all()
    study = tests[tests["test"] == "study_t"]
    assert (study["p_value"] == study["p_two_sided"]).all() and study["p_value_kind"].str.startswith("two-sided").all()
    standard = tests[tests["test"] != "study_t"]
    assert (standard["p_value"] == standard["p_one_sided"]).all()

    params = all_parameters("released")
    write_tables(con, tables, params)
    write_tables(con, tables, params)  # replaces, does not append
    for name, frame in tables.items():
        stored = con.execute(f"select * from analysis_{name}").df()
        assert len(stored) == len(frame)
        assert list(stored.columns) == [*frame.columns, "processing_profile", "run_at", "parameters"]
        assert json.loads(stored["parameters"].iloc[0]) == params
    kinds = dict(con.execute("select column_name, data_type from information_schema.columns where table_name = 'analysis_correlations'").fetchall())
    assert kinds["run_at"] == "TIMESTAMP" and kinds["parameters"] == "VARCHAR"
    with pytest.raises(ValueError):
        summary_for(con, "elsewhere")


def test_dependent_tests_print_the_study_two_sided_p_with_the_one_sided_beside(released: pd.DataFrame) -> None:
    """Printed (text report and HTML table): the study's t with its two-sided p, labelled, and the one-sided p next to it."""
    from netmob_tor.analysis.dependent_correlations import dependent_correlation_tests
    from netmob_tor.analysis.report import format_dependent_tests
    from netmob_tor.report.tables import dependent_tests

    tests = dependent_correlation_tests(released)
    study = tests[tests["test"] == "study_t"].set_index("comparison")
    # cpc vs Tor on the release: r .284 vs .237, r_bc .984, n 731 -> t 7.11 with 729 df
    tor = study.loc["log_cpc_per_1000 > log_tor_per_1000"]
    assert round(tor["statistic"], 2) == 7.11 and tor["df"] == 729
    text = format_dependent_tests(tests)
    for _, row in study.iterrows():
        line = next(line for line in text.splitlines() if "study_t" in line and f"{row['statistic']:.2f}" in line)
        cells = line.split()
        assert f"{row['p_two_sided']:.3g}" in cells and "(two-sided)" in cells and f"{row['p_one_sided']:.3g}" in cells
        assert cells.index(f"{row['p_two_sided']:.3g}") < cells.index(f"{row['p_one_sided']:.3g}")
    assert "2 * (1 - t.cdf(|t|, n - 2))" in text
    html_text = dependent_tests(tests)
    assert f"two-sided p = {tor['p_two_sided']:.2e}, as the study; one-sided p = {tor['p_one_sided']:.2e}" in html_text
