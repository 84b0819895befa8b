"""Validation correlations (Table 2): Spearman rho of the sexual-violence rate with log traffic rates."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from scipy import stats

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


def complete_cases(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rows where every one of `columns` is present (NaN/None dropped; -inf is kept, it ranks lowest)."""
    return df.loc[df[list(columns)].notna().all(axis=1), list(columns)].astype(float)


def validation_correlations(
    df: pd.DataFrame,
    outcome: str = OUTCOME,
    predictors: Sequence[str] = PREDICTORS,
) -> pd.DataFrame:
    """Table 2: Spearman rho, two-sided p-value and n of `outcome` with each predictor.

    Complete cases are taken per predictor (outcome and that predictor present): the outcome is
    the commune-only sexual-violence rate, missing where SSMSI does not publish it (731 of 1341).
    """
    rows = []
    for predictor in predictors:
        data = complete_cases(df, [outcome, predictor])
        result = stats.spearmanr(data[outcome], data[predictor])
        rows.append(
            {
                "outcome": outcome,
                "predictor": predictor,
                "rho": float(result.statistic),
                "p_value": float(result.pvalue),
                "n": int(len(data)),
            }
        )
    return pd.DataFrame(rows, columns=["outcome", "predictor", "rho", "p_value", "n"])
