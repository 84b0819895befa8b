"""Is one correlation with the outcome larger than another? Tests for dependent correlations sharing a variable.

Notation: a is the shared variable (the sexual-violence rate), b the target predictor (log cpc
per 1000), c the competing one; r_ab and r_ac are compared, r_bc is the predictors' own
correlation. Williams' t and Steiger's Z are reported one-sided for H1: r_ab > r_ac; the
study's t is reported, as the study computed it, with a two-sided p (see below).

- `williams_t`: Williams' (1959) T2 in the form of Steiger (1980, eq. 7), t with n - 3 df; the
  test Steiger recommends for this case.
- `steiger_z`: Steiger's (1980, eq. 14) Z on Fisher-z values, with the covariance of the two
  z's evaluated at the pooled r̄ = (r_ab + r_ac) / 2; normal reference.
- `study_t`: the formula of Koebe et al. (2024), t = (r_ab - r_ac) / sqrt((1 - r_bc²)/(n - 3))
  with n - 2 df. It is not a standard test: it ignores how r_ab and r_ac co-vary beyond r_bc and
  is anti-conservative when r_bc is well below 1 (see tests/test_dependent_correlations.py).
  The authors' p is two-sided, p = 2 * (1 - t.cdf(|t|, n - 2)); that is the `p_value` of the
  study_t rows, with the one-sided p (H1: r_ab > r_ac) beside it in `p_one_sided`.

Output columns: `p_value` is each test's reported p and `p_value_kind` says which it is (one-sided
for williams_t and steiger_z, two-sided for study_t); `p_one_sided` and `p_two_sided` are given
for every test so that the two conventions can be compared on any row.

The derivations assume Pearson correlations of (multivariate normal) data; applied to Spearman
correlations, as in the study, they are approximations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from netmob_tor.analysis.correlations import OUTCOME, complete_cases
from netmob_tor.analysis.sample_size import NotComputed, require

TARGET = "log_cpc_per_1000"
OTHERS = ("log_youtube_per_1000", "log_web_adult_per_1000", "log_tor_per_1000")
TESTS = ("williams_t", "steiger_z", "study_t")
COLUMNS = [
    "comparison", "r_cpc", "r_other", "r_between", "n", "test", "statistic", "df",
    "p_value", "p_value_kind", "p_one_sided", "p_two_sided",
]
ONE_SIDED = "one-sided (H1: r_cpc > r_other)"
STUDY_TWO_SIDED = "two-sided, as the study computed it: 2 * (1 - t.cdf(|t|, n - 2))"
# Which p each test reports as its p_value: the study's t as the study did, the standard tests one-sided.
REPORTED_P = {"williams_t": ONE_SIDED, "steiger_z": ONE_SIDED, "study_t": STUDY_TWO_SIDED}
# Each test divides by n - 3 (Williams' df, Steiger's sqrt(n - 3), the study's (1 - r_bc²)/(n - 3)).
MIN_N = 4


def williams_t(r_ab: float, r_ac: float, r_bc: float, n: int) -> tuple[float, float]:
    """Williams' T2 (Steiger 1980 eq. 7) for r_ab vs r_ac sharing a; returns (t, df = n - 3)."""
    require(n, MIN_N, "Williams' t (df = n - 3)")
    det_r = 1 - r_ab**2 - r_ac**2 - r_bc**2 + 2 * r_ab * r_ac * r_bc
    r_bar = (r_ab + r_ac) / 2
    denominator = 2 * (n - 1) / (n - 3) * det_r + r_bar**2 * (1 - r_bc) ** 3
    t = (r_ab - r_ac) * np.sqrt((n - 1) * (1 + r_bc) / denominator)
    return float(t), float(n - 3)


def steiger_z(r_ab: float, r_ac: float, r_bc: float, n: int) -> tuple[float, float]:
    """Steiger's Z (1980 eq. 14, pooled r̄) for r_ab vs r_ac sharing a; returns (z, nan) as z has no df."""
    require(n, MIN_N, "Steiger's Z (sqrt(n - 3))")
    r_bar = (r_ab + r_ac) / 2
    psi = r_bc * (1 - 2 * r_bar**2) - 0.5 * r_bar**2 * (1 - 2 * r_bar**2 - r_bc**2)
    covariance = psi / (1 - r_bar**2) ** 2
    z = (np.arctanh(r_ab) - np.arctanh(r_ac)) * np.sqrt(n - 3) / np.sqrt(2 - 2 * covariance)
    return float(z), float("nan")


def study_t(r_ab: float, r_ac: float, r_bc: float, n: int) -> tuple[float, float]:
    """The study's t = (r_ab - r_ac) / sqrt((1 - r_bc²)/(n - 3)); returns (t, df = n - 2) as the study did."""
    require(n, MIN_N, "the study's t ((1 - r_bc²)/(n - 3))")
    t = (r_ab - r_ac) / np.sqrt((1 - r_bc**2) / (n - 3))
    return float(t), float(n - 2)


TEST_FUNCTIONS: dict[str, Callable[[float, float, float, int], tuple[float, float]]] = {
    "williams_t": williams_t,
    "steiger_z": steiger_z,
    "study_t": study_t,
}


def one_sided_p(statistic: float, df: float) -> float:
    """Upper-tail p-value of a t (finite df) or standard normal (df nan) statistic."""
    if np.isnan(df):
        return float(stats.norm.sf(statistic))
    return float(stats.t.sf(statistic, df))


def two_sided_p(statistic: float, df: float) -> float:
    """Two-sided p-value of a t (finite df) or standard normal (df nan) statistic: 2 * P(T > |statistic|)."""
    if np.isnan(df):
        return float(2 * stats.norm.sf(abs(statistic)))
    return float(2 * stats.t.sf(abs(statistic), df))


def dependent_correlation_tests(
    df: pd.DataFrame,
    outcome: str = OUTCOME,
    target: str = TARGET,
    others: Sequence[str] = OTHERS,
    tests: Sequence[str] = TESTS,
    method: str = "spearman",
) -> pd.DataFrame:
    """One row per (competing predictor, test): does `target` correlate more with `outcome`?

    Correlations (Spearman by default, as Table 2) are computed on the communes where the
    outcome, the target and every competing predictor are present, so the three r's of each
    comparison come from one consistent correlation matrix. `p_value` is the p each test reports
    (`p_value_kind`: two-sided for the study's t, as the authors computed it; one-sided for the
    others); `p_one_sided` and `p_two_sided` are both kept on every row.
    """
    unknown = [name for name in tests if name not in TEST_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown tests {unknown}; choose from {sorted(TEST_FUNCTIONS)}")
    data = complete_cases(df, [outcome, target, *others])
    n = len(data)
    if n < MIN_N:
        raise NotComputed("the dependent-correlation tests", n, MIN_N, detail=(
            f"Williams' t, Steiger's Z and the study's t divide by n - 3: they need n >= {MIN_N} communes with "
            f"{outcome}, {target} and {', '.join(others)}"))
    corr = data.corr(method=method)
    rows = []
    for other in others:
        r_ab, r_ac, r_bc = corr.loc[outcome, target], corr.loc[outcome, other], corr.loc[target, other]
        for name in tests:
            statistic, dof = TEST_FUNCTIONS[name](r_ab, r_ac, r_bc, n)
            p_one, p_two = one_sided_p(statistic, dof), two_sided_p(statistic, dof)
            rows.append(
                {
                    "comparison": f"{target} > {other}",
                    "r_cpc": float(r_ab),
                    "r_other": float(r_ac),
                    "r_between": float(r_bc),
                    "n": int(n),
                    "test": name,
                    "statistic": statistic,
                    "df": dof,
                    "p_value": p_two if REPORTED_P[name] == STUDY_TWO_SIDED else p_one,
                    "p_value_kind": REPORTED_P[name],
                    "p_one_sided": p_one,
                    "p_two_sided": p_two,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
