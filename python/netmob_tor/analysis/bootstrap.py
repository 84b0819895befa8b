"""Beyond the paper: day-block bootstrap confidence intervals for each commune's rho and cpc per 1000, and for Table 2.

Hours within a day are strongly dependent, days much less so; resampling whole local calendar
days with replacement keeps the within-day dependence. Each replicate draws, with replacement, as many
local dates as commune_hour holds (74 on the embedded data; a city's dropped anomaly days simply
contribute no hours), the same draw for every commune, which keeps the dependence between them; the
loader (`loaders.replicate_commune_stats`) recomputes in SQL, with `corr` over commune_hour's floored
logs (the model's own, `ln_web_adult` and `ln_tor`) joined to the drawn days (a day drawn twice
counts twice), each commune's rho and its download totals. From those frames, c, cpc per 1000 and
the Table 2 Spearman correlations follow as in the warehouse (each commune's cpc per 1000 interval is
stored beside its rho interval, for the report's map). Percentile intervals. Exploratory
area-level associations only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from netmob_tor.analysis.correlations import OUTCOME, PREDICTORS
from netmob_tor.analysis.sample_size import NotComputed, require
from netmob_tor.params import defaults

REPLICATES = 200
SEED = 20190316
LEVEL = 0.95
RHO_COLUMNS = ["commune_code", "city", "rho", "boot_mean", "boot_se", "ci_low", "ci_high", "n_valid_replicates",
               "cpc_per_1000_ci_low", "cpc_per_1000_ci_high", "replicates", "level", "seed"]
CORR_COLUMNS = ["outcome", "predictor", "rho", "boot_mean", "boot_se", "ci_low", "ci_high", "n", "replicates", "level", "seed"]


def day_draws(days: Sequence[object], replicates: int = REPLICATES, seed: int = SEED) -> pd.DataFrame:
    """One row per (replicate, draw): `len(days)` days drawn with replacement in each replicate."""
    rng = np.random.default_rng(seed)
    days = np.asarray(list(days))
    picks = rng.integers(0, len(days), size=(replicates, len(days)))
    return pd.DataFrame({"replicate": np.repeat(np.arange(1, replicates + 1), len(days)), "traffic_date": days[picks.ravel()]})


def correction_parameters(summary: pd.DataFrame) -> tuple[float, float]:
    """(s_onion x s_csam, c floor) as the warehouse applied them: c / rho' where not floored, c where floored."""
    kept = summary[~summary["is_rho_floored"].astype(bool) & (summary["rho_prime"] > 0)]
    scale = float(np.median(kept["c"] / kept["rho_prime"])) if len(kept) else defaults().correction_scale
    floored = summary.loc[summary["is_rho_floored"].astype(bool), "c"]
    return scale, float(floored.iloc[0]) if len(floored) else defaults().c_floor


def derived_rates(replicates: pd.DataFrame, summary: pd.DataFrame, scale: float, c_floor: float, log_floor: float) -> pd.DataFrame:
    """Add c (floored where rho < 0), per-1000 rates and their logs (zeros floored at `log_floor`) to per-replicate commune stats."""
    out = replicates.merge(summary[["commune_code", "population"]], on="commune_code", how="inner")
    out["c"] = np.where(out["rho"] < 0, c_floor, scale * out["rho"])
    per_1000 = {
        "log_youtube_per_1000": out["youtube_dl"],
        "log_web_adult_per_1000": out["web_adult_dl"],
        "log_tor_per_1000": out["tor_dl"],
        "log_cpc_per_1000": out["c"] * out["tor_dl"],
    }
    out["cpc_per_1000"] = out["c"] * out["tor_dl"] / out["population"] * 1000
    for name, total in per_1000.items():
        out[name] = np.log(np.maximum(total / out["population"] * 1000, log_floor))  # as the floored_ln macro
    return out


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of finite `values`."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def cpc_intervals(rates: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """One row per commune: the percentile interval of cpc per 1000 over the replicates (`derived_rates` output)."""
    rows = [(code, *percentile_interval(values.to_numpy(dtype=float), level))
            for code, values in rates.groupby("commune_code", sort=True)["cpc_per_1000"]]
    return pd.DataFrame(rows, columns=["commune_code", "cpc_per_1000_ci_low", "cpc_per_1000_ci_high"])


def rho_intervals(
    replicates: pd.DataFrame, summary: pd.DataFrame, n_replicates: int, level: float = LEVEL, seed: int = SEED,
    cpc: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per commune: rho, bootstrap mean and SE, percentile interval; with `cpc` (cpc_intervals), its cpc per 1000 interval."""
    grouped = replicates.groupby("commune_code")["rho"]
    rows = []
    for code, values in grouped:
        v = values.to_numpy(dtype=float)
        low, high = percentile_interval(v, level)
        finite = v[np.isfinite(v)]
        rows.append({"commune_code": code, "boot_mean": finite.mean() if finite.size else np.nan,
                     "boot_se": finite.std(ddof=1) if finite.size > 1 else np.nan,
                     "ci_low": low, "ci_high": high, "n_valid_replicates": int(finite.size)})
    out = summary[["commune_code", "city", "rho"]].merge(pd.DataFrame(rows), on="commune_code", how="inner")
    if cpc is None:
        cpc = pd.DataFrame(columns=["commune_code", "cpc_per_1000_ci_low", "cpc_per_1000_ci_high"])
    out = out.merge(cpc, on="commune_code", how="left")
    out["replicates"], out["level"], out["seed"] = n_replicates, level, seed
    return out[RHO_COLUMNS].sort_values("commune_code").reset_index(drop=True)


def table2_intervals(
    rates: pd.DataFrame, summary: pd.DataFrame, point: pd.DataFrame, n_replicates: int, level: float = LEVEL, seed: int = SEED
) -> pd.DataFrame:
    """One row per Table 2 predictor whose point rho was computed: the published-style Spearman rho and its
    bootstrap interval (NotComputed when Table 2 has none)."""
    outcome = summary[["commune_code", OUTCOME]].dropna()
    merged = rates.merge(outcome, on="commune_code", how="inner")
    computed = point[point["predictor"].isin(PREDICTORS) & point["rho"].notna()]
    if computed.empty:
        first = point[point["predictor"].isin(PREDICTORS)].iloc[0]
        raise NotComputed("the bootstrap of Table 2", int(first["n"]), 3,
                          detail=f"the bootstrap of Table 2 needs its point estimates, themselves {first.get('note') or 'not computed'}")
    rows = []
    for predictor in computed["predictor"]:
        boot = np.array([
            stats.spearmanr(part[OUTCOME], part[predictor]).statistic
            for _, part in merged.groupby("replicate", sort=True)
        ])
        low, high = percentile_interval(boot, level)
        base = point.set_index("predictor").loc[predictor]
        rows.append({"outcome": OUTCOME, "predictor": predictor, "rho": float(base["rho"]), "boot_mean": float(np.nanmean(boot)),
                     "boot_se": float(np.nanstd(boot, ddof=1)), "ci_low": low, "ci_high": high, "n": int(base["n"]),
                     "replicates": n_replicates, "level": level, "seed": seed})
    return pd.DataFrame(rows, columns=CORR_COLUMNS)


def bootstrap_tables(
    per_replicate: pd.DataFrame,
    summary: pd.DataFrame,
    point: pd.DataFrame,
    replicates: int,
    log_floor: float,
    seed: int = SEED,
    level: float = LEVEL,
) -> dict[str, pd.DataFrame]:
    """{'bootstrap_rho' (with each commune's cpc per 1000 interval), 'bootstrap_correlations'} from the
    per-replicate commune stats (loaders.replicate_commune_stats).

    `summary` needs commune_code, city, population, rho, rho_prime, c, is_rho_floored and the
    Table 2 outcome; `point` is Table 2 itself (validation_correlations); `log_floor` is the
    build's (the floored_ln macro's) value.
    """
    return {
        "bootstrap_rho": bootstrap_rho(per_replicate, summary, replicates, log_floor, seed, level),
        "bootstrap_correlations": bootstrap_correlations(per_replicate, summary, point, replicates, log_floor, seed, level),
    }


def bootstrap_rho(per_replicate: pd.DataFrame, summary: pd.DataFrame, replicates: int, log_floor: float,
                  seed: int = SEED, level: float = LEVEL) -> pd.DataFrame:
    """Each commune's rho interval with its cpc per 1000 interval (see bootstrap_tables)."""
    scale, c_floor = correction_parameters(summary)
    rates = derived_rates(per_replicate, summary, scale, c_floor, log_floor)
    return rho_intervals(per_replicate, summary, replicates, level, seed, cpc_intervals(rates, level))


def bootstrap_correlations(per_replicate: pd.DataFrame, summary: pd.DataFrame, point: pd.DataFrame, replicates: int,
                           log_floor: float, seed: int = SEED, level: float = LEVEL) -> pd.DataFrame:
    """The Table 2 intervals (see bootstrap_tables); NotComputed when Table 2 has no point estimate."""
    scale, c_floor = correction_parameters(summary)
    rates = derived_rates(per_replicate, summary, scale, c_floor, log_floor)
    return table2_intervals(rates, summary, point, replicates, level, seed)


def check_days(n_days: int) -> None:
    """NotComputed unless there are 2 days to resample."""
    require(n_days, 2, "the day-block bootstrap (resampling whole days)", unit="days")
