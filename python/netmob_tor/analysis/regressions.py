"""Table 3 (step 8): OLS in both directions with HC3 standard errors, and the robustness variants.

`log_cpc_per_1000 ~ controls + sexual_violence_rate` and
`sexual_violence_rate ~ controls + log_cpc_per_1000`, complete cases, POI rates
standardised over the model's sample. HC3 is R's `sandwich::vcovHC` default, the study's choice;
p-values use the t distribution with the residual degrees of freedom, as R's `coeftest`.
Coefficients are exploratory area-level associations: no individual or causal meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.regression.linear_model import RegressionResultsWrapper

from netmob_tor import CAUTION
from netmob_tor.analysis.sample_size import NotComputed
from netmob_tor.params import defaults, sv_mean_column

SV = sv_mean_column()
CPC = "log_cpc_per_1000"
CPC_LAGGED = "log_cpc_tor_lagged_per_1000"
TRAFFIC = ("log_youtube_per_1000", "log_web_adult_per_1000", "log_tor_per_1000")
SOCIAL = (
    "log_population_density",
    "singles_share",
    "poverty_rate",
    "unemployment_rate",
    "turnout_2017",
    "le_pen_share_2017",
    "macron_share_2017",
)
POI_CATEGORIES = defaults().poi_categories
POI = tuple(f"{c}_per_1000" for c in POI_CATEGORIES)
TRENDS = ("PC1", "PC3")
CONTROLS = (*TRAFFIC, *SOCIAL, *POI, *TRENDS)
DRUG = "drug_use_rate_commune"
INTERCEPT = "const"

# Our names -> the labels of the paper's Table 3 (its R script's names).
PAPER_LABELS = {
    INTERCEPT: "Constant",
    CPC: "log_cpc_per_1000",
    CPC_LAGGED: f"log_cpc_per_1000 (Tor lagged {defaults().tor_lag_hours} h)",
    SV: "Sexual_violence_per_1000",
    "log_youtube_per_1000": "log_YouTube_per_1000",
    "log_web_adult_per_1000": "log_Web_Adult_per_1000",
    "log_tor_per_1000": "log_Tor_per_1000",
    "log_population_density": "log_pop_density",
    "singles_share": "Share_of_singles",
    "poverty_rate": "Poverty_rate",
    "unemployment_rate": "Employment_rate",
    "turnout_2017": "Electoral_turnout_2017",
    "le_pen_share_2017": "Share_Le_Pen",
    "macron_share_2017": "Share_Macron",
    "adult_entertainment_per_1000": "POI_adult_entertainment",
    "amateur_sports_team_per_1000": "POI_sports_teams",
    "church_cathedral_per_1000": "POI_church",
    "mosque_per_1000": "POI_mosque",
    "religious_organization_per_1000": "POI_religious_org",
    "school_per_1000": "POI_school",
    "PC1": "PC1",
    "PC3": "PC3",
    DRUG: "Drug_abuse_rate",
}

COLUMNS = ["model", "direction", "outcome", "variable", "paper_label", "coef", "se_hc3", "t", "p", "stars", "n", "r2", "adj_r2"]


@dataclass(frozen=True)
class ModelSpec:
    """One Table 3 model: its name, the estimate column, extra controls and a sample filter."""

    name: str
    cpc: str = CPC
    extra: tuple[str, ...] = ()
    drop_zero_sv: bool = False
    controls: tuple[str, ...] = CONTROLS


MODELS = (
    ModelSpec("main"),
    ModelSpec("drug_use", extra=(DRUG,)),
    ModelSpec("no_zero_sexual_violence", drop_zero_sv=True),
    ModelSpec("tor_lagged", cpc=CPC_LAGGED),
)


def stars(p: float) -> str:
    """Significance stars as stargazer prints them: *** p < 0.01, ** p < 0.05, * p < 0.1."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def model_sample(data: pd.DataFrame, spec: ModelSpec, standardise: Sequence[str] = POI) -> pd.DataFrame:
    """Complete cases of the model's variables, POI columns z-scored (R's scale), then the zero-SV filter.

    As the study's R script: standardise over the complete cases, then filter communes with zero
    sexual violence (so that variant keeps the main model's scaling).
    """
    columns = [SV, spec.cpc, *spec.controls, *spec.extra]
    sample = data.loc[:, ["commune_code", "city", *columns]].copy() if "city" in data else data.loc[:, ["commune_code", *columns]].copy()
    sample[columns] = sample[columns].astype(float)
    sample = sample[np.isfinite(sample[columns]).all(axis=1)]
    for column in standardise:
        if column in sample:
            sd = sample[column].std(ddof=1)
            sample[column] = (sample[column] - sample[column].mean()) / sd if sd > 0 else 0.0
    if spec.drop_zero_sv:
        sample = sample[sample[SV] > 0]
    return sample.reset_index(drop=True)


def design(sample: pd.DataFrame, outcome: str, regressors: Sequence[str]) -> tuple[pd.Series, pd.DataFrame]:
    """Outcome and design matrix with an intercept; constant (all-equal) regressors are dropped."""
    x = sample[list(regressors)]
    x = x.loc[:, x.nunique() > 1]
    return sample[outcome], sm.add_constant(x, has_constant="add")


def fit_ols_hc3(y: pd.Series, x: pd.DataFrame) -> RegressionResultsWrapper:
    """OLS with HC3 covariance and t-based p-values (R: lm + coeftest(vcov = vcovHC))."""
    return sm.OLS(y, x).fit(cov_type="HC3", use_t=True)


def directions(spec: ModelSpec) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The two regressions of a model: direction -> (outcome, regressors)."""
    return {
        "cpc_on_sexual_violence": (spec.cpc, (*spec.controls, *spec.extra, SV)),
        "sexual_violence_on_cpc": (SV, (*spec.controls, *spec.extra, spec.cpc)),
    }


def tidy(result: RegressionResultsWrapper, model: str, direction: str, outcome: str) -> pd.DataFrame:
    """One row per coefficient in the Table 3 long layout."""
    out = pd.DataFrame(
        {
            "model": model,
            "direction": direction,
            "outcome": outcome,
            "variable": result.params.index,
            "coef": result.params.to_numpy(),
            "se_hc3": result.bse.to_numpy(),
            "t": result.tvalues.to_numpy(),
            "p": result.pvalues.to_numpy(),
        }
    )
    out["paper_label"] = out["variable"].map(PAPER_LABELS).fillna(out["variable"])
    out["stars"] = out["p"].map(stars)
    out["n"] = int(result.nobs)
    out["r2"] = result.rsquared
    out["adj_r2"] = result.rsquared_adj
    return out[COLUMNS]


def check_model_size(sample: pd.DataFrame, spec: ModelSpec) -> None:
    """NotComputed unless the complete cases outnumber the coefficients (controls, the key variable, the
    intercept): OLS with HC3 needs residual degrees of freedom."""
    minimum = len(spec.controls) + len(spec.extra) + 3
    if len(sample) < minimum:
        raise NotComputed(f"Table 3 model {spec.name}", len(sample), minimum, detail=(
            f"Table 3 model {spec.name} has {minimum - 1} coefficients and needs n >= {minimum} communes with the outcome, "
            "the estimate and every control"))


def table3(data: pd.DataFrame, models: Sequence[ModelSpec] = MODELS, skipped: list[tuple[str, NotComputed]] | None = None) -> pd.DataFrame:
    """Every model and direction of Table 3 and its robustness variants, long format.

    A model whose sample is too small (check_model_size) is left out and, when `skipped` is given,
    appended to it as (model name, NotComputed).
    """
    frames = []
    for spec in models:
        sample = model_sample(data, spec)
        try:
            check_model_size(sample, spec)
        except NotComputed as reason:
            if skipped is not None:
                skipped.append((spec.name, reason))
            continue
        for direction, (outcome, regressors) in directions(spec).items():
            y, x = design(sample, outcome, regressors)
            frames.append(tidy(fit_ols_hc3(y, x), spec.name, direction, outcome))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def residuals(data: pd.DataFrame, spec: ModelSpec = MODELS[0]) -> pd.DataFrame:
    """OLS residuals of both directions of a model: commune_code, direction, residual (NotComputed on too small a sample)."""
    sample = model_sample(data, spec)
    check_model_size(sample, spec)
    frames = []
    for direction, (outcome, regressors) in directions(spec).items():
        y, x = design(sample, outcome, regressors)
        result = sm.OLS(y, x).fit()
        frames.append(pd.DataFrame({"commune_code": sample["commune_code"], "direction": direction, "residual": result.resid.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def format_table3(table: pd.DataFrame, model: str = "main") -> str:
    """The paper's Table 3 layout: one line per variable, coefficient with stars and (HC3 SE) per direction."""
    rows = table[table["model"] == model]
    if rows.empty:
        return f"Table 3 ({model}): not estimated (inputs missing)."
    order = ["cpc_on_sexual_violence", "sexual_violence_on_cpc"]
    heads = {d: rows.loc[rows["direction"] == d, "outcome"].iloc[0] for d in order if (rows["direction"] == d).any()}
    labels: list[str] = []
    for variable in rows["variable"]:
        if variable != INTERCEPT and variable not in labels:
            labels.append(variable)
    labels.append(INTERCEPT)
    width = max(len(PAPER_LABELS.get(v, v)) for v in labels) + 2
    lines = [f"{'':<{width}}" + "".join(f"{PAPER_LABELS.get(h, h):>28}" for h in heads.values())]
    for variable in labels:
        coefs, ses = [], []
        for direction in heads:
            hit = rows[(rows["direction"] == direction) & (rows["variable"] == variable)]
            if hit.empty:
                coefs.append(f"{'':>28}")
                ses.append(f"{'':>28}")
            else:
                r = hit.iloc[0]
                coefs.append(f"{f'{r.coef:.2f}{r.stars}':>28}")
                ses.append(f"{f'({r.se_hc3:.2f})':>28}")
        lines.append(f"{PAPER_LABELS.get(variable, variable):<{width}}" + "".join(coefs))
        lines.append(f"{'':<{width}}" + "".join(ses))
    for stat, fmt in (("n", "{:d}"), ("r2", "{:.2f}"), ("adj_r2", "{:.2f}")):
        values = [fmt.format(int(rows.loc[rows["direction"] == d, stat].iloc[0]) if stat == "n"
                             else rows.loc[rows["direction"] == d, stat].iloc[0]) for d in heads]
        label = {"n": "Observations", "r2": "R2", "adj_r2": "Adjusted R2"}[stat]
        lines.append(f"{label:<{width}}" + "".join(f"{v:>28}" for v in values))
    lines.append("HC3 standard errors in parentheses; * p<0.1, ** p<0.05, *** p<0.01. "
                 "`Employment_rate` is the unemployment rate (the paper's label). " + CAUTION)
    return "\n".join(lines)
