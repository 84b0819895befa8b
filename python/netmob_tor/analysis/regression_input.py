"""The commune-level regression input: commune_summary + POI rates + Google Trends PC1/PC3 by department."""

from __future__ import annotations

import pandas as pd

from netmob_tor.analysis.regressions import CPC, CPC_LAGGED, DRUG, SOCIAL, SV, TRAFFIC

SUMMARY_COLUMNS = ["commune_code", "city", "department_code", "population", SV, CPC, CPC_LAGGED, *TRAFFIC, *SOCIAL, DRUG, "drug_use_rate"]


def regression_input(summary: pd.DataFrame, poi: pd.DataFrame, department_scores: pd.DataFrame) -> pd.DataFrame:
    """One row per commune: outcome, estimates and controls, POI per 1000 and the department's PC1-PC3.

    Left joins throughout: a commune without POI rates or without a scored old region keeps its
    row with missing values, and complete-case selection happens per model.
    """
    scores = department_scores.drop(columns=["old_region_name"], errors="ignore")
    out = summary.merge(poi, on="commune_code", how="left", validate="one_to_one")
    out = out.merge(scores, on="department_code", how="left", validate="many_to_one")
    return out.sort_values("commune_code").reset_index(drop=True)
