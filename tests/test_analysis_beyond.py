"""Beyond the paper: Moran's I, the random-intercept model and the day-block bootstrap."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from netmob_tor.analysis.bootstrap import cpc_intervals, day_draws, derived_rates, percentile_interval, rho_intervals
from netmob_tor.analysis.mixed import random_intercept_models
from netmob_tor.analysis.regressions import CPC, SV, ModelSpec
from netmob_tor.analysis.spatial import morans_i, neighbour_weights, permutation_test
from netmob_tor.loaders import hour_days, replicate_commune_stats


def ring_weights(n: int) -> np.ndarray:
    """Row-standardised weights of a cycle: each unit's two neighbours weigh 1/2."""
    w = np.zeros((n, n))
    for i in range(n):
        w[i, (i - 1) % n] = w[i, (i + 1) % n] = 0.5
    return w


def test_morans_i_known_answers() -> None:
    """On a cycle, alternating values give I = -1 exactly; a cosine wave gives I = cos(2 pi / n)."""
    n = 40
    w = ring_weights(n)
    assert abs(morans_i(np.tile([1.0, -1.0], n // 2), w) + 1) < 1e-12
    wave = np.cos(2 * np.pi * np.arange(n) / n)
    assert abs(morans_i(wave, w) - np.cos(2 * np.pi / n)) < 1e-12
    smooth = permutation_test(wave, w, permutations=199, seed=1)
    assert smooth["p_permutation"] == 1 / 200 and smooth["moran_i"] > smooth["permutation_mean"] + 3 * smooth["permutation_sd"]
    noise = permutation_test(np.random.default_rng(2).normal(size=n), w, permutations=199, seed=1)
    assert noise["p_permutation"] > 0.01
    again = permutation_test(np.random.default_rng(2).normal(size=n), w, permutations=199, seed=1)
    assert again == noise  # fixed seed, same answer


def test_neighbour_weights_contiguity_and_knn_fallback() -> None:
    codes = ["a", "b", "c", "d", "e"]
    pairs = pd.DataFrame({"code_i": ["a", "b"], "code_j": ["b", "c"]})  # d and e touch nobody
    centroids = pd.DataFrame({"commune_code": codes, "lon": [0.0, 1.0, 2.0, 10.0, 10.5], "lat": [45.0] * 5})
    w, n_fallback = neighbour_weights(codes, pairs, centroids, k=1)
    assert n_fallback == 2
    np.testing.assert_allclose(w.sum(axis=1), 1)
    assert w[0, 1] == 1 and w[1, 0] == w[1, 2] == 0.5
    assert w[3, 4] == 1 and w[4, 3] == 1  # nearest centroid


def test_random_intercept_recovers_group_variance() -> None:
    """Simulated communes in 30 cities with a city intercept of variance 1: estimate near 1, slope near truth."""
    rng = np.random.default_rng(11)
    cities = np.repeat([f"city{i}" for i in range(30)], 25)
    effect = dict(zip(np.unique(cities), rng.normal(size=30)))
    df = pd.DataFrame({"commune_code": [f"{i:05d}" for i in range(len(cities))], "city": cities, "c1": rng.normal(size=len(cities))})
    df[SV] = rng.gamma(2.0, 1.0, size=len(df))
    df[CPC] = 0.3 * df[SV] + df["c1"] + df["city"].map(effect) + rng.normal(size=len(df)) * 0.5
    out = random_intercept_models(df, ModelSpec("sim", controls=("c1",)))
    row = out[(out["direction"] == "cpc_on_sexual_violence") & (out["variable"] == SV)].iloc[0]
    assert row["converged"] and row["n_groups"] == 30
    assert abs(row["coef"] - 0.3) < 4 * row["se"]
    assert 0.4 < row["group_variance"] < 2.0 and abs(row["residual_variance"] - 0.25) < 0.05


def test_day_draws_deterministic_with_replacement() -> None:
    days = pd.date_range("2019-03-16", periods=10).date
    a, b = day_draws(days, 50, seed=3), day_draws(days, 50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 500 and a.groupby("replicate").size().eq(10).all()
    assert (a.groupby("replicate")["traffic_date"].nunique() < 10).any()  # some day drawn twice
    np.testing.assert_allclose(percentile_interval(np.arange(101.0), 0.9), (5.0, 95.0))


def test_cpc_per_1000_interval_hand_worked() -> None:
    """Commune A, 500 inhabitants, c = 2 rho (0.01 where rho < 0): replicates give cpc per 1000 of 200, 400 and 20.

    rho 0.5, Tor 100 -> c 1, cpc 100 -> 200 per 1000; rho 0.25, Tor 400 -> c 0.5, cpc 200 -> 400;
    rho -0.2, Tor 1000 -> c 0.01, cpc 10 -> 20. The 50% percentile interval of [20, 200, 400]
    (linear quantiles 0.25 and 0.75) is 110 to 300. Commune B's only replicate has no rho: no interval.
    """
    replicates = pd.DataFrame({
        "replicate": [1, 2, 3, 1], "commune_code": ["A", "A", "A", "B"], "rho": [0.5, 0.25, -0.2, np.nan],
        "tor_dl": [100.0, 400.0, 1000.0, 5.0], "web_adult_dl": 1.0, "youtube_dl": 1.0,
    })
    summary = pd.DataFrame({"commune_code": ["A", "B"], "city": "X", "population": [500, 100], "rho": [0.4, 0.1]})
    rates = derived_rates(replicates, summary, scale=2.0, c_floor=0.01, log_floor=1e-6)
    np.testing.assert_allclose(rates.loc[rates["commune_code"] == "A", "cpc_per_1000"], [200.0, 400.0, 20.0])
    cpc = cpc_intervals(rates, level=0.5).set_index("commune_code")
    np.testing.assert_allclose(cpc.loc["A"].to_numpy(), [110.0, 300.0])
    assert cpc.loc["B"].isna().all()
    table = rho_intervals(replicates, summary, 3, level=0.5, cpc=cpc.reset_index()).set_index("commune_code")
    assert table.loc["A", "cpc_per_1000_ci_low"] == 110.0 and table.loc["A", "cpc_per_1000_ci_high"] == 300.0


def test_bootstrap_corr_equals_moments_and_brackets_rho(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Both SQL routes give the same replicate rho; the identity draw (every day once) gives the warehouse rho."""
    days = hour_days(warehouse)
    draws = day_draws(days, 2, seed=5)
    identity = pd.DataFrame({"replicate": 0, "traffic_date": days})
    draws = pd.concat([identity, draws], ignore_index=True)
    by_corr = replicate_commune_stats(warehouse, draws, method="corr")
    by_moments = replicate_commune_stats(warehouse, draws, method="moments")
    np.testing.assert_allclose(by_corr["rho"], by_moments["rho"], atol=1e-9)
    summary = warehouse.execute("select commune_code, rho, tor_dl from commune_summary").df()
    base = by_corr[by_corr["replicate"] == 0].merge(summary, on="commune_code", suffixes=("", "_warehouse"))
    assert len(base) == len(summary)
    np.testing.assert_allclose(base["rho"], base["rho_warehouse"], atol=1e-9)
    np.testing.assert_allclose(base["tor_dl"], base["tor_dl_warehouse"], rtol=1e-9)
    assert not np.allclose(by_corr.loc[by_corr["replicate"] == 1, "rho"].to_numpy(), base["rho"].to_numpy())
