"""Validation correlations (Table 2): Spearman rho of the sexual-violence rate with log traffic rates."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from scipy import stats

from netmob_tor.analysis.sample_size import NotComputed
from netmob_tor.params import defaults, sv_mean_column

OUTCOME = sv_mean_column()
PREDICTORS = ("log_youtube_per_1000", "log_web_adult_per_1000", "log_tor_per_1000", "log_cpc_per_1000")
# Results text: the cpc correlation with Tor lagged (tor_lag_hours; warehouse only: the release has no lagged rho).
LAGGED_PREDICTOR = "log_cpc_tor_lagged_per_1000"
# Table 2's row labels as the paper prints them.
TABLE2_LABELS = {
    "log_youtube_per_1000": "log_YouTube_per_1000",
    "log_web_adult_per_1000": "log_Web_Adult_per_1000",
    "log_tor_per_1000": "log_Tor_per_1000",
    "log_cpc_per_1000": "log_cpc_per_1000",
    LAGGED_PREDICTOR: f"log_cpc_per_1000, Tor lagged {defaults().tor_lag_hours} h",
}
# A Spearman correlation with a p-value (t with n - 2 df) needs 3 pairs.
MIN_N = 3
COLUMNS = ["outcome", "predictor", "rho", "p_value", "n", "note"]


def complete_cases(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rows where every one of `columns` is present (NaN/None dropped; -inf is kept, it ranks lowest)."""
    return df.loc[df[list(columns)].notna().all(axis=1), list(columns)].astype(float)


def check_spearman(data: pd.DataFrame, x: str, y: str) -> None:
    """NotComputed unless `data` has MIN_N complete pairs of x and y, neither constant."""
    n = len(data)
    if n < MIN_N:
        raise NotComputed("Spearman's rho", n, MIN_N, detail=f"Spearman's rho with a p-value needs n >= {MIN_N} communes with {x} and {y}")
    for column in (x, y):
        if data[column].nunique() < 2:
            raise NotComputed("Spearman's rho", n, MIN_N, detail=f"{column} takes one value on all {n} communes: no rank correlation")


def validation_correlations(
    df: pd.DataFrame,
    outcome: str = OUTCOME,
    predictors: Sequence[str] = PREDICTORS,
) -> pd.DataFrame:
    """Table 2: Spearman rho, two-sided p-value and n of `outcome` with each predictor.

    Complete cases are taken per predictor (outcome and that predictor present): the outcome is
    the commune-only sexual-violence rate, missing where SSMSI does not publish it (731 of 1341).
    A predictor the sample is too small for (check_spearman) keeps its row with rho and p empty and
    the reason in `note` ('not computed: n = 2 (...)'); `note` is empty otherwise.
    """
    rows = []
    for predictor in predictors:
        data = complete_cases(df, [outcome, predictor])
        row = {"outcome": outcome, "predictor": predictor, "rho": float("nan"), "p_value": float("nan"), "n": int(len(data)), "note": ""}
        try:
            check_spearman(data, outcome, predictor)
        except NotComputed as skipped:
            row["note"] = skipped.reason
        else:
            result = stats.spearmanr(data[outcome], data[predictor])
            row.update(rho=float(result.statistic), p_value=float(result.pvalue))
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
