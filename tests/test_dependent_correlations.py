"""Dependent-correlation tests: published known answers, closed forms, symmetry and null calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from netmob_tor.analysis.dependent_correlations import (
    COLUMNS,
    STUDY_TWO_SIDED,
    dependent_correlation_tests,
    one_sided_p,
    steiger_z,
    study_t,
    two_sided_p,
    williams_t,
)

TESTS = (williams_t, steiger_z, study_t)


def two_sided_t(t: float, df: float) -> float:
    """Two-sided p of a t statistic."""
    return float(2 * stats.t.sf(abs(t), df))


def test_williams_t_known_answer_depcor() -> None:
    """Silver, Hittner & May (2006) DEPCOR, as used in cocor's test suite: r12 .3, r13 .4, r23 .5, n 100."""
    t, df = williams_t(0.3, 0.4, 0.5, 100)
    assert df == 97
    assert round(t, 4) == -1.0767
    assert round(two_sided_t(t, df), 4) == 0.2843


def test_steiger_z_known_answers() -> None:
    """Steiger (1980) Case A (r .4 vs .5, r23 .1, n 103) and DEPCOR (.3, .4, .5, n 100), as in cocor."""
    z, df = steiger_z(0.4, 0.5, 0.1, 103)
    assert np.isnan(df)
    # cocor's value with the pooled-r covariance; Steiger's paper prints -.8913 from a rounded covariance.
    assert round(z, 7) == -0.8887185
    assert abs(z - (-0.8913)) < 0.005
    z, _ = steiger_z(0.3, 0.4, 0.5, 100)
    assert round(z, 4) == -1.0718
    assert round(float(2 * stats.norm.sf(abs(z))), 4) == 0.2838


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("r, r_bc, n", [(0.3, 0.5, 100), (-0.2, 0.9, 731), (0.0, 0.0, 10)])
def test_equal_correlations_give_zero(test, r: float, r_bc: float, n: int) -> None:
    """When r_ab = r_ac every statistic is 0 (one-sided p 0.5)."""
    statistic, _ = test(r, r, r_bc, n)
    assert statistic == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("r_ab, r_ac, r_bc, n", [(0.284, 0.237, 0.98, 731), (0.5, 0.2, 0.3, 50), (-0.1, 0.4, 0.2, 40)])
def test_antisymmetric_and_signed(test, r_ab: float, r_ac: float, r_bc: float, n: int) -> None:
    """Swapping the compared correlations flips the sign; the sign is that of r_ab - r_ac."""
    forward, df_forward = test(r_ab, r_ac, r_bc, n)
    backward, df_backward = test(r_ac, r_ab, r_bc, n)
    assert forward == pytest.approx(-backward, rel=1e-12)
    assert np.sign(forward) == np.sign(r_ab - r_ac)
    assert (np.isnan(df_forward) and np.isnan(df_backward)) or df_forward == df_backward


@pytest.mark.parametrize("r, r_bc, n", [(0.3, 0.2, 60), (0.1, -0.4, 200), (0.3, 0.6, 731)])
def test_williams_equals_hotelling_when_mean_r_is_zero(r: float, r_bc: float, n: int) -> None:
    """With r_ac = -r_ab the r̄² term vanishes and Williams' T2 is Hotelling's (1940) t exactly."""
    det_r = 1 - 2 * r**2 - r_bc**2 - 2 * r**2 * r_bc
    hotelling = 2 * r * np.sqrt((n - 3) * (1 + r_bc) / (2 * det_r))
    assert williams_t(r, -r, r_bc, n)[0] == pytest.approx(hotelling, rel=1e-12)


@pytest.mark.parametrize("r, r_bc, n", [(0.3, 0.2, 60), (0.1, -0.4, 200)])
def test_steiger_closed_form_when_mean_r_is_zero(r: float, r_bc: float, n: int) -> None:
    """With r̄ = 0 the covariance term is r_bc: Z = 2 atanh(r) sqrt(n - 3) / sqrt(2 - 2 r_bc)."""
    expected = 2 * np.arctanh(r) * np.sqrt(n - 3) / np.sqrt(2 - 2 * r_bc)
    assert steiger_z(r, -r, r_bc, n)[0] == pytest.approx(expected, rel=1e-12)


def test_study_t_closed_forms() -> None:
    """The study's t: (r_ab - r_ac) sqrt(n - 3) when r_bc = 0, n - 2 df, and it grows without bound as r_bc -> 1."""
    t, df = study_t(0.3, 0.1, 0.0, 103)
    assert t == pytest.approx(0.2 * 10.0)
    assert df == 101
    assert study_t(0.3, 0.1, 0.999999, 103)[0] > 1000


@pytest.mark.parametrize("r_ab, r_ac", [(0.45, 0.30), (0.30, 0.45)])
def test_study_t_known_answer_with_both_p_values(r_ab: float, r_ac: float) -> None:
    """r_ab .45, r_ac .30, r_bc .6, n 53: t = .15 / sqrt(.64 / 50) = 1.3258, 51 df; p two-sided .1908, one-sided .0954.

    Expected values from the formula and scipy.stats.t directly; the study's p is
    2 * (1 - t.cdf(|t|, n - 2)). With r_ab and r_ac swapped t is -1.3258: the same two-sided
    p, one-sided (H1: r_ab > r_ac) p .9046.
    """
    r_bc, n = 0.6, 53
    expected_t = (r_ab - r_ac) / np.sqrt((1 - r_bc**2) / (n - 3))
    expected_two = 2 * (1 - stats.t.cdf(abs(expected_t), n - 2))
    expected_one = 1 - stats.t.cdf(expected_t, n - 2)
    assert abs(expected_t) == pytest.approx(1.3258252, abs=1e-6)
    assert expected_two == pytest.approx(0.1908056, abs=1e-6)
    assert expected_one == pytest.approx(0.0954028 if r_ab > r_ac else 0.9045972, abs=1e-6)
    t, df = study_t(r_ab, r_ac, r_bc, n)
    assert df == n - 2
    assert t == pytest.approx(expected_t, rel=1e-12)
    assert two_sided_p(t, df) == pytest.approx(expected_two, rel=1e-9)
    assert one_sided_p(t, df) == pytest.approx(expected_one, rel=1e-9)


def test_study_t_row_reports_the_two_sided_p_known_answer() -> None:
    """Through the DataFrame API: the study_t row's p_value is the two-sided p, the one-sided p beside it."""
    rng = np.random.default_rng(3)
    n = 120
    common = rng.normal(size=n)
    df = pd.DataFrame({"sv": common + rng.normal(size=n), "cpc": common + 0.7 * rng.normal(size=n), "tor": common + 1.5 * rng.normal(size=n)})
    r_ab = stats.spearmanr(df["sv"], df["cpc"]).statistic
    r_ac = stats.spearmanr(df["sv"], df["tor"]).statistic
    r_bc = stats.spearmanr(df["cpc"], df["tor"]).statistic
    expected_t = (r_ab - r_ac) / np.sqrt((1 - r_bc**2) / (n - 3))
    out = dependent_correlation_tests(df, outcome="sv", target="cpc", others=("tor",)).set_index("test")
    row = out.loc["study_t"]
    assert row["statistic"] == pytest.approx(expected_t, rel=1e-10)
    assert row["df"] == n - 2
    assert row["p_value"] == pytest.approx(2 * (1 - stats.t.cdf(abs(expected_t), n - 2)), rel=1e-9)
    assert row["p_two_sided"] == row["p_value"]
    assert row["p_one_sided"] == pytest.approx(1 - stats.t.cdf(expected_t, n - 2), rel=1e-9)
    assert row["p_value_kind"] == STUDY_TWO_SIDED and "two-sided" in row["p_value_kind"]
    for name in ("williams_t", "steiger_z"):  # the standard tests keep their one-sided p
        assert out.loc[name, "p_value"] == out.loc[name, "p_one_sided"]
        assert out.loc[name, "p_value_kind"].startswith("one-sided")
        assert out.loc[name, "p_two_sided"] == pytest.approx(2 * min(out.loc[name, "p_one_sided"], 1 - out.loc[name, "p_one_sided"]), rel=1e-9)


def test_williams_and_steiger_agree_for_large_n() -> None:
    """Both are asymptotically normal with the same variance: close for n large and small differences."""
    t, _ = williams_t(0.30, 0.28, 0.9, 100_000)
    z, _ = steiger_z(0.30, 0.28, 0.9, 100_000)
    assert t == pytest.approx(z, rel=0.02)


def simulated_correlations(r_ab: float, r_ac: float, r_bc: float, n: int, reps: int, seed: int) -> np.ndarray:
    """Sample Pearson correlations (reps x 3: ab, ac, bc) of n draws from a trivariate normal."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1, r_ab, r_ac], [r_ab, 1, r_bc], [r_ac, r_bc, 1]])
    x = rng.multivariate_normal(np.zeros(3), cov, size=(reps, n))
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    c = np.einsum("rni,rnj->rij", x, x) / n
    return np.stack([c[:, 0, 1], c[:, 0, 2], c[:, 1, 2]], axis=1)


def one_sided_pvalues(test, r: np.ndarray, n: int) -> np.ndarray:
    """Upper-tail p-values of `test` for every simulated replicate."""
    out = []
    for r_ab, r_ac, r_bc in r:
        statistic, df = test(r_ab, r_ac, r_bc, n)
        out.append(stats.norm.sf(statistic) if np.isnan(df) else stats.t.sf(statistic, df))
    return np.array(out)


@pytest.fixture(scope="module")
def null_sample() -> np.ndarray:
    """3000 replicates under H0 (r_ab = r_ac = .3, r_bc = .5, n = 100), fixed seed."""
    return simulated_correlations(0.3, 0.3, 0.5, 100, 3000, seed=20240611)


@pytest.mark.parametrize("test", [williams_t, steiger_z])
def test_standard_tests_are_calibrated_under_the_null(test, null_sample: np.ndarray) -> None:
    """Williams' t and Steiger's Z give ~uniform one-sided p-values under H0 (size ~5 % at 5 %)."""
    p = one_sided_pvalues(test, null_sample, 100)
    assert stats.kstest(p, "uniform").pvalue > 0.001
    assert 0.035 < np.mean(p < 0.05) < 0.065


def test_study_formula_is_anti_conservative() -> None:
    """The study's t rejects a true H0 too often when r_bc is well below 1; Williams' t does not.

    At r_ab = r_ac = .1, r_bc = .2 the study's SE is ~0.78 of the true one: expected size ~10 %.
    """
    sample = simulated_correlations(0.1, 0.1, 0.2, 100, 3000, seed=11)
    assert np.mean(one_sided_pvalues(study_t, sample, 100) < 0.05) > 0.08
    assert 0.035 < np.mean(one_sided_pvalues(williams_t, sample, 100) < 0.05) < 0.065


def test_dependent_correlation_tests_frame() -> None:
    """The DataFrame API: one row per comparison x test, Spearman r's on joint complete cases."""
    rng = np.random.default_rng(7)
    n = 300
    common = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "sv": common + rng.normal(size=n),
            "cpc": common + 0.5 * rng.normal(size=n),
            "tor": common + 2 * rng.normal(size=n),
            "yt": rng.normal(size=n),
        }
    )
    df.loc[:9, "sv"] = np.nan
    df.loc[10:14, "yt"] = np.nan
    out = dependent_correlation_tests(df, outcome="sv", target="cpc", others=("tor", "yt"))
    assert list(out.columns) == COLUMNS
    assert len(out) == 6 and set(out["test"]) == {"williams_t", "steiger_z", "study_t"}
    assert (out["n"] == n - 15).all()
    kept = df.dropna()
    row = out[(out["comparison"] == "cpc > tor") & (out["test"] == "williams_t")].iloc[0]
    assert row["r_cpc"] == pytest.approx(stats.spearmanr(kept["sv"], kept["cpc"]).statistic)
    assert row["r_between"] == pytest.approx(stats.spearmanr(kept["cpc"], kept["tor"]).statistic)
    assert row["df"] == n - 15 - 3
    assert row["statistic"] > 0 and 0 < row["p_one_sided"] < 0.5
    assert row["p_value"] == row["p_one_sided"]
    study = out[(out["comparison"] == "cpc > tor") & (out["test"] == "study_t")].iloc[0]
    assert study["p_value"] == study["p_two_sided"] == pytest.approx(2 * study["p_one_sided"], rel=1e-9)
    assert out.loc[out["test"] == "steiger_z", "df"].isna().all()
    with pytest.raises(ValueError):
        dependent_correlation_tests(df, outcome="sv", target="cpc", others=("tor",), tests=("fisher",))
