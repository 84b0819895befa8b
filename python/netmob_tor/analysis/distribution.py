"""Distribution of the correction factor (Table 1) and the range of cpc per 1000 (results text)."""

from __future__ import annotations

import pandas as pd

from netmob_tor.analysis.sample_size import require

SUMMARY_COLUMNS = ["variable", "count", "mean", "std", "min", "p25", "p50", "p75", "max", "n_floored"]


def correction_factor_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Table 1: describe() of rho (before flooring) and c, plus the number of floored communes.

    Input columns `rho`, `c`, `is_rho_floored`. `rho` may be missing where it is unknown (paper
    mode: the release only carries the floored rho'); `count` then says over how many communes
    the rho row was computed. `std` is the sample standard deviation (ddof 1, as pandas/R).
    """
    require(int(pd.to_numeric(df["c"], errors="coerce").notna().sum()), 1, "Table 1 (the distribution of c)")
    n_floored = int(df["is_rho_floored"].fillna(False).astype(bool).sum())
    rows = []
    for variable in ("rho", "c"):
        values = pd.to_numeric(df[variable], errors="coerce").dropna()
        q = values.quantile([0.25, 0.5, 0.75])
        rows.append(
            {
                "variable": variable,
                "count": int(values.size),
                "mean": values.mean(),
                "std": values.std(ddof=1),
                "min": values.min(),
                "p25": q.loc[0.25],
                "p50": q.loc[0.5],
                "p75": q.loc[0.75],
                "max": values.max(),
                "n_floored": n_floored,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def cpc_range_summary(df: pd.DataFrame, zero_below: float = 0.5) -> pd.DataFrame:
    """One row: mean, min, max of cpc per 1000, the max commune, and how many print as 0.

    Input columns `commune_code`, `cpc_per_1000`, `is_rho_floored` (and `commune_name`, `city`
    when present). `n_print_zero` counts communes whose value rounds to 0 at integer precision
    (below `zero_below`), `n_floored` those whose c is the floor: the study's text says
    "from 0 (14 communes)", which matches the floored count, not the rounded count.
    """
    values = pd.to_numeric(df["cpc_per_1000"], errors="coerce")
    require(int(values.notna().sum()), 1, "the range of cpc per 1000")
    top = df.loc[values.idxmax()]
    floored = df["is_rho_floored"].fillna(False).astype(bool)
    return pd.DataFrame(
        [
            {
                "n": int(values.notna().sum()),
                "mean_cpc_per_1000": values.mean(),
                "min_cpc_per_1000": values.min(),
                "max_cpc_per_1000": values.max(),
                "max_commune_code": top["commune_code"],
                "max_commune_name": top.get("commune_name"),
                "max_city": top.get("city"),
                "n_print_zero": int((values < zero_below).sum()),
                "n_floored": int(floored.sum()),
                "max_cpc_per_1000_floored": values[floored].max() if floored.any() else float("nan"),
            }
        ]
    )
