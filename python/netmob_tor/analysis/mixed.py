"""Beyond the paper: a random-intercept model by urban area (statsmodels MixedLM, groups = city).

The paper calls its model hierarchical but fits plain OLS; communes of one urban area share a
network, a police department and a city-wide level of traffic. A random intercept per city
absorbs that shared level. Exploratory area-level associations only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from netmob_tor.analysis.regressions import MODELS, PAPER_LABELS, ModelSpec, check_model_size, design, directions, model_sample, stars
from netmob_tor.analysis.sample_size import require

GROUP = "city"
COLUMNS = ["model", "direction", "outcome", "variable", "paper_label", "coef", "se", "p", "stars", "n", "n_groups",
           "group_variance", "residual_variance", "icc", "converged"]


def random_intercept_models(data: pd.DataFrame, spec: ModelSpec = MODELS[0], group: str = GROUP) -> pd.DataFrame:
    """Both directions of `spec` with a random intercept per `group`, fitted by REML; long format.

    `group_variance` is the between-city intercept variance, `icc` its share of the total
    (group + residual) variance. Fixed-effect p-values are Wald z tests (statsmodels' default).
    """
    sample = model_sample(data, spec)
    check_model_size(sample, spec)
    require(int(sample[group].nunique()), 2, "a random intercept by urban area (its variance between groups)", unit="urban areas")
    frames = []
    for direction, (outcome, regressors) in directions(spec).items():
        y, x = design(sample, outcome, regressors)
        with warnings.catch_warnings():
            # optimiser chatter (boundary, convergence retries): convergence is reported in `converged`
            warnings.simplefilter("ignore")
            result = sm.MixedLM(y, x, groups=sample[group]).fit(reml=True, method=["bfgs", "powell", "nm"])
            se, p = result.bse_fe.to_numpy(), result.pvalues[result.fe_params.index].to_numpy()
        fe = result.fe_params
        group_variance = float(result.cov_re.iloc[0, 0])
        residual_variance = float(result.scale)
        out = pd.DataFrame(
            {
                "model": spec.name,
                "direction": direction,
                "outcome": outcome,
                "variable": fe.index,
                "coef": fe.to_numpy(),
                "se": se,
                "p": p,
            }
        )
        out["paper_label"] = out["variable"].map(PAPER_LABELS).fillna(out["variable"])
        out["stars"] = out["p"].map(stars)
        out["n"] = int(result.nobs)
        out["n_groups"] = int(sample[group].nunique())
        out["group_variance"] = group_variance
        out["residual_variance"] = residual_variance
        total = group_variance + residual_variance
        out["icc"] = group_variance / total if total > 0 else np.nan
        out["converged"] = bool(result.converged)
        frames.append(out[COLUMNS])
    return pd.concat(frames, ignore_index=True)
