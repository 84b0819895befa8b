"""Table 3 machinery: OLS with HC3 standard errors on simulated data with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from netmob_tor.analysis.regressions import (
    CPC,
    INTERCEPT,
    POI,
    SV,
    ModelSpec,
    fit_ols_hc3,
    format_table3,
    model_sample,
    stars,
    table3,
)

BETA = np.array([1.0, 2.0, -0.5, 0.0])  # intercept, x1, x2, x3


def simulate(n: int, rng: np.random.Generator) -> tuple[pd.Series, pd.DataFrame]:
    """y = X beta + e with Var(e) growing with |x1| (heteroscedastic)."""
    x = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(-2, 2, size=n), "x3": rng.exponential(size=n)})
    e = rng.normal(size=n) * (0.3 + 1.5 * np.abs(x["x1"].to_numpy()))
    design = sm.add_constant(x)
    return pd.Series(design.to_numpy() @ BETA + e, name="y"), design


def independent_hc3(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """HC3 SEs from scratch: (X'X)^-1 X' diag(e²/(1-h)²) X (X'X)^-1."""
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    e = y - x @ beta
    h = np.diag(x @ xtx_inv @ x.T)
    omega = np.diag(e**2 / (1 - h) ** 2)
    return np.sqrt(np.diag(xtx_inv @ x.T @ omega @ x @ xtx_inv))


def test_hc3_equals_independent_numpy() -> None:
    y, x = simulate(250, np.random.default_rng(1))
    result = fit_ols_hc3(y, x)
    expected = independent_hc3(x.to_numpy(), y.to_numpy())
    np.testing.assert_allclose(result.bse.to_numpy(), expected, rtol=0, atol=1e-8)
    assert not np.allclose(sm.OLS(y, x).fit().bse.to_numpy(), expected, atol=1e-3)  # differs from the classical SE


def test_estimates_cover_truth() -> None:
    """One large sample lands within 4 SE of the truth; 95% intervals cover it ~95% of the time over repeats."""
    y, x = simulate(4000, np.random.default_rng(2))
    result = fit_ols_hc3(y, x)
    assert np.all(np.abs(result.params.to_numpy() - BETA) < 4 * result.bse.to_numpy())
    rng = np.random.default_rng(3)
    covered = []
    for _ in range(300):
        y, x = simulate(200, rng)
        ci = fit_ols_hc3(y, x).conf_int(0.05).to_numpy()
        covered.append((ci[:, 0] <= BETA) & (BETA <= ci[:, 1]))
    coverage = np.mean(covered, axis=0)
    assert np.all((coverage > 0.90) & (coverage < 0.99)), coverage


def synthetic_communes(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A commune frame with the Table 3 columns, where log cpc depends on SV with slope 0.5."""
    controls = ("c1", "c2")
    df = pd.DataFrame({"commune_code": [f"{i:05d}" for i in range(n)], "city": rng.choice(["A", "B", "C"], size=n)})
    for name in (*controls, *POI[:2]):
        df[name] = rng.normal(size=n) * (3 if name in POI else 1)
    df[SV] = np.where(rng.uniform(size=n) < 0.3, 0.0, rng.gamma(2.0, 1.0, size=n))
    df[CPC] = 1 + 0.5 * df[SV] + df["c1"] - 0.2 * df[POI[0]] + rng.normal(size=n) * 0.5
    df.loc[:4, "c2"] = np.nan  # incomplete rows are dropped
    return df


def test_table3_layout_and_robustness_filter() -> None:
    df = synthetic_communes(400, np.random.default_rng(4))
    specs = [ModelSpec("main", controls=("c1", "c2", *POI[:2])), ModelSpec("no_zero", controls=("c1", "c2", *POI[:2]), drop_zero_sv=True)]
    out = table3(df, specs)
    assert set(out["direction"]) == {"cpc_on_sexual_violence", "sexual_violence_on_cpc"}
    main = out[(out["model"] == "main") & (out["direction"] == "cpc_on_sexual_violence")].set_index("variable")
    assert main["n"].iloc[0] == 395
    assert abs(main.loc[SV, "coef"] - 0.5) < 4 * main.loc[SV, "se_hc3"]
    assert main.loc[SV, "paper_label"] == "Sexual_violence_per_1000" and INTERCEPT in main.index
    assert (out["stars"] == out["p"].map(stars)).all()
    no_zero = out[out["model"] == "no_zero"]
    assert no_zero["n"].iloc[0] == int((df[SV] > 0).sum() - (df.loc[:4, SV] > 0).sum())
    text = format_table3(out)
    assert "Sexual_violence_per_1000" in text and "Observations" in text and "(" in text


def test_poi_standardised_over_the_complete_cases() -> None:
    df = synthetic_communes(300, np.random.default_rng(5))
    sample = model_sample(df, ModelSpec("main", controls=("c1", "c2", *POI[:2])))
    assert len(sample) == 295
    np.testing.assert_allclose(sample[list(POI[:2])].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(sample[list(POI[:2])].std(ddof=1), 1, atol=1e-12)
    np.testing.assert_allclose(sample["c1"].to_numpy(), df["c1"].iloc[5:].to_numpy())  # other controls untouched
