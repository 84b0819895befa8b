"""The sensitivity table's logic on hand-made commune summaries (no warehouse, no dbt).

Six communes, outcome 1..6. The study build's log cpc is 1..6 (Spearman rho 1); var `a` swaps the
first two communes' values and var `b` the last two, so each alone gives rho = 1 - 6 x 2 / 210 and
both 1 - 6 x 4 / 210: their effects add up exactly, and the pair is not reported. The lagged
column is 6..1 in every build (rho -1): with `a`, the lagged row's rho stays -1, so the pair's
interaction is -1 - 1 - ((rho_a - 1) + (-2)) = 12 / 210, above the threshold, and reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from netmob_tor.analysis import sensitivity
from netmob_tor.analysis.correlations import LAGGED_PREDICTOR, OUTCOME

SETTINGS = {
    "sensitivity_variations": [
        {"choice": "first", "label": "swap the first two", "vars": {"a": 1}},
        {"choice": "last", "label": "swap the last two", "vars": {"b": 1}},
        {"choice": "tor_lag", "label": "Tor lagged (tor_lag_hours)", "predictor": "lagged"},
        {"choice": "bundle", "label": "not paired", "vars": {"d": 1}, "pairs": False},
        {"choice": "other", "label": "not with the lag", "vars": {"e": 1}, "not_with": ["tor_lag"]},
    ],
    "s_onion": 0.011,
    "s_onion_scenarios": [0.011, 0.05],
    "tor_lag_hours": 2,
    "sensitivity_interaction_threshold": 0.01,
    "sensitivity_bootstrap_replicates": 50,
}


def summary(variables: dict[str, Any]) -> pd.DataFrame:
    """A commune_summary of six communes as the build with `variables` would give it."""
    log_cpc = np.arange(1.0, 7.0)
    if "a" in variables:
        log_cpc[[0, 1]] = log_cpc[[1, 0]]
    if "b" in variables:
        log_cpc[[4, 5]] = log_cpc[[5, 4]]
    return pd.DataFrame({
        "commune_code": [f"0000{i}" for i in range(1, 7)],
        "population": 1000,
        OUTCOME: np.arange(1.0, 7.0),
        "log_cpc_per_1000": log_cpc,
        LAGGED_PREDICTOR: np.arange(6.0, 0.0, -1.0),
        "cpc_per_1000": np.exp(log_cpc),
        "cpc_tor_lagged_per_1000": np.exp(np.arange(6.0, 0.0, -1.0)),
        "c": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "c_tor_lagged": 0.5,
        "is_rho_floored": [True, False, False, False, False, False],
        "rho_tor_lagged": [-0.1, -0.2, 0.3, 0.4, 0.5, 0.6],
    })


@pytest.fixture(scope="module")
def result() -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def build(variables: dict[str, Any]) -> pd.DataFrame:
        calls.append(dict(variables))
        return summary(variables)

    return sensitivity.sensitivity_table(build, SETTINGS), calls


def test_rows_and_hand_worked_figures(result: tuple[pd.DataFrame, list[dict[str, Any]]]) -> None:
    table = result[0].set_index("label")
    one_swap = 1 - 6 * 2 / 210
    assert list(table.index[:7]) == ["study profile", "swap the first two", "swap the last two", "Tor lagged 2 h",
                                     "not paired", "not with the lag", "s_onion 0.05"]
    assert table.loc["study profile", "rho"] == pytest.approx(1.0)
    assert table.loc["swap the first two", "rho"] == pytest.approx(one_swap)
    assert table.loc["swap the first two", "delta_rho"] == pytest.approx(one_swap - 1)
    assert table.loc["swap the first two", "ranking_rho_vs_study"] == pytest.approx(one_swap)
    assert table.loc["Tor lagged 2 h", "rho"] == pytest.approx(-1.0)
    assert table.loc["study profile", "mean_c"] == pytest.approx(0.35)
    assert table.loc["study profile", "n_floored"] == 1
    assert table.loc["Tor lagged 2 h", "mean_c"] == pytest.approx(0.5)
    assert table.loc["Tor lagged 2 h", "n_floored"] == 2  # floored where the lagged rho < 0
    assert table.loc["study profile", "n"] == 6
    assert table["is_study_profile"].sum() == 1 and bool(table.loc["study profile", "is_study_profile"])


def test_only_pairs_that_do_not_add_up_are_reported(result: tuple[pd.DataFrame, list[dict[str, Any]]]) -> None:
    pairs = result[0][result[0]["kind"] == "pair"].set_index("label")
    # a + b add up exactly; s_onion changes nothing here; `not paired` is never paired.
    assert sorted(pairs.index) == ["swap the first two + Tor lagged 2 h", "swap the last two + Tor lagged 2 h"]
    assert pairs["interaction"].to_numpy() == pytest.approx([12 / 210, 12 / 210])
    assert pairs["sum_of_single_deltas"].to_numpy() == pytest.approx([(1 - 12 / 210 - 1) - 2] * 2)


def test_each_distinct_build_runs_once(result: tuple[pd.DataFrame, list[dict[str, Any]]]) -> None:
    calls = result[1]
    keys = [tuple(sorted(c.items())) for c in calls]
    assert len(keys) == len(set(keys))
    assert {} in calls and {"a": 1, "b": 1} in calls and {"a": 1, "s_onion": 0.05} in calls
    assert not any("d" in c and len(c) > 1 for c in calls)
    assert {"a": 1, "e": 1} in calls  # `not with the lag` pairs with the others


def test_bootstrap_interval_brackets_the_estimate() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = x + rng.normal(size=200)
    low, high = sensitivity.bootstrap_interval(x, y, replicates=200)
    rho = pd.Series(x).corr(pd.Series(y), method="spearman")
    assert low < rho < high and high - low < 0.3


def test_build_order_changes_the_costly_var_once() -> None:
    needed = [{"a": 1}, {"b": 1}, {}, {"a": 1, "b": 1}, {"b": 2}, {"a": 1, "b": 2}]
    order = sensitivity.build_order(needed, {"a": 10, "b": 1}.get)
    values = [v.get("a") for v in order]
    assert sum(x != y for x, y in zip(values, values[1:])) == 1
    assert sorted(map(repr, order)) == sorted(map(repr, needed))


def test_pairs_respect_pairs_false_and_not_with() -> None:
    labels = {(a.label, b.label) for a, b in sensitivity.pairs(sensitivity.variations(SETTINGS))}
    assert ("swap the first two", "not with the lag") in labels
    assert not any("not paired" in pair for pair in labels)
    assert ("Tor lagged 2 h", "not with the lag") not in labels
    assert ("swap the first two", "Tor lagged 2 h") in labels


def test_no_pairs_builds_one_choice_at_a_time() -> None:
    calls: list[dict[str, Any]] = []

    def build(variables: dict[str, Any]) -> pd.DataFrame:
        calls.append(dict(variables))
        return summary(variables)

    table = sensitivity.sensitivity_table(build, SETTINGS, with_pairs=False)
    assert "pair" not in set(table["kind"])
    assert all(len(v) <= 1 for v in calls)  # no build changes two choices
    # the study profile, five single rows, one more s_onion scenario; the lagged row reuses the study build
    assert len(table) == 7 and len(calls) == 6


def test_a_rebuild_during_the_run_stores_nothing(tmp_path, monkeypatch) -> None:
    """The writer lock is held only to copy and to store: a warehouse rebuilt in between (another file swapped in)
    is caught by its stamp, the command says so in one line, and analysis_sensitivity is not written."""
    import duckdb

    from netmob_tor import cli
    from netmob_tor.errors import UserError

    database = tmp_path / "wh.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create table build_log as select 'x' as dbt_invocation_id, timestamp '2026-01-01' as finished_at")
    before = sensitivity.warehouse_stamp(database)

    def rebuilt_meanwhile(db, **_: Any) -> pd.DataFrame:
        swapped = tmp_path / "new.duckdb"
        with duckdb.connect(str(swapped)) as con:
            con.execute("create table build_log as select 'y' as dbt_invocation_id, timestamp '2026-01-02' as finished_at")
        swapped.replace(db)  # what netmob-tor build's swap does
        return summary({})

    monkeypatch.setattr(sensitivity, "run", rebuilt_meanwhile)
    args = cli.build_parser().parse_args(["sensitivity", "--database", str(database), "--tables-dir", str(tmp_path)])
    with pytest.raises(UserError, match="rebuilt while the sensitivity table was computed"):
        cli.cmd_sensitivity(args)
    assert sensitivity.warehouse_stamp(database) != before
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables where table_name = 'analysis_sensitivity'").fetchone()[0] == 0
    assert not list(tmp_path.glob("wh.duckdb.sensitivity-*"))  # the private copy is removed
